package vulndb

import (
	"context"
	"errors"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// item is one record to read: a JSON file or a zip member.
type item struct {
	seq    int
	name   string
	source string
	path   string   // JSON file, when arch is nil
	arch   *archive // zip holding the record
	member int      // index into arch.members
}

// reorderWindow bounds how far reading may run ahead of the record that is
// next in input order, and so the records held in memory.
const reorderWindow = 4096

// progressEvery is how many records pass between progress calls.
const progressEvery = 256

// readRecords reads and parses the records of srcs in parallel and hands
// them to emit in input order, from one goroutine. Malformed records reach
// emit with err set; a damaged zip, an exhausted limit, cancellation or an
// emit error stop everything and are returned. progress gets the number of
// records emitted every progressEvery records and at the end.
func readRecords(ctx context.Context, srcs []source, scope string, lim Limits, progress func(done int), emit func(*parsed) error) error {
	r := &recordReader{
		srcs:    srcs,
		scope:   scope,
		lim:     lim,
		items:   make(chan item, 64),
		results: make(chan *parsed, 64),
		window:  make(chan struct{}, reorderWindow),
		done:    make(chan struct{}),
	}
	defer r.closeArchives()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.produce(ctx) })
	g.Go(func() error { return r.work(ctx) })
	g.Go(func() error { return r.collect(ctx, progress, emit) })
	return g.Wait()
}

// recordReader is the pipeline of readRecords: one producer lists the
// records, workers read and parse them, one collector puts them back in
// order. The window channel holds a slot per record between the producer
// and the collector.
type recordReader struct {
	srcs     []source
	scope    string
	lim      Limits
	items    chan item
	results  chan *parsed
	window   chan struct{}
	done     chan struct{} // closed when every worker has stopped
	archives []*archive    // owned by produce until the pipeline ends
}

func (r *recordReader) closeArchives() {
	for _, a := range r.archives {
		a.close()
	}
}

// produce hands out every record of the sources, in order.
func (r *recordReader) produce(ctx context.Context) error {
	defer close(r.items)
	seq := 0
	send := func(it item) error {
		select {
		case r.window <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		it.seq = seq
		if it.arch != nil {
			it.arch.take()
		}
		select {
		case r.items <- it:
			seq++
			return nil
		case <-ctx.Done():
			if it.arch != nil {
				it.arch.release()
			}
			return ctx.Err()
		}
	}
	for _, s := range r.srcs {
		if !s.zip {
			if err := send(item{name: s.path, source: s.label, path: s.path}); err != nil {
				return err
			}
			continue
		}
		a, err := openArchive(s.path, r.lim)
		if err != nil {
			return err
		}
		r.archives = append(r.archives, a)
		for i, f := range a.members {
			if err := send(item{name: s.path + "!" + f.Name, source: s.label, arch: a, member: i}); err != nil {
				return err
			}
		}
		a.seal()
	}
	return nil
}

// work runs one worker per CPU until the items run out.
func (r *recordReader) work(ctx context.Context) error {
	defer close(r.done)
	var g errgroup.Group
	for range runtime.GOMAXPROCS(0) {
		g.Go(func() error {
			for it := range r.items {
				if err := ctx.Err(); err != nil {
					if it.arch != nil {
						it.arch.release()
					}
					return err
				}
				p, err := readItem(it, r.scope, r.lim)
				if err != nil {
					return err
				}
				select {
				case r.results <- p:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// collect emits the results in input order.
func (r *recordReader) collect(ctx context.Context, progress func(int), emit func(*parsed) error) error {
	pending := map[int]*parsed{}
	next := 0
	flush := func() error {
		for {
			p, ok := pending[next]
			if !ok {
				return nil
			}
			delete(pending, next)
			next++
			<-r.window
			if err := emit(p); err != nil {
				return err
			}
			if progress != nil && next%progressEvery == 0 {
				progress(next)
			}
		}
	}
	for {
		select {
		case p := <-r.results:
			pending[p.seq] = p
			if err := flush(); err != nil {
				return err
			}
		case <-r.done:
			// The workers have stopped: take what they left.
			for len(r.results) > 0 {
				p := <-r.results
				pending[p.seq] = p
			}
			if err := flush(); err != nil {
				return err
			}
			if progress != nil {
				progress(next)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readItem reads and parses one record. Problems with the record itself
// come back in parsed.err; a damaged zip is returned as an error.
func readItem(it item, scope string, lim Limits) (*parsed, error) {
	var (
		data []byte
		err  error
	)
	if it.arch != nil {
		data, err = it.arch.readMember(it.arch.members[it.member], lim.MaxRecordBytes)
		it.arch.release()
		var zerr *zipError
		if errors.As(err, &zerr) {
			return nil, err // the zip is damaged or hostile: stop
		}
	} else {
		data, err = readJSONFile(it.path, lim.MaxRecordBytes)
	}
	p := &parsed{seq: it.seq, name: it.name, source: it.source}
	if err != nil {
		p.err = err
		return p, nil
	}
	rec, err := parseRecord(data)
	if err == nil {
		var q *parsed
		if q, err = prepare(rec, scope); err == nil {
			q.seq, q.name, q.source = p.seq, p.name, p.source
			return q, nil
		}
	}
	p.err = err
	return p, nil
}
