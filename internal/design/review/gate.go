package review

import (
	"fmt"
	"time"
)

// Verdict is the answer of the review gate: may development of this model
// proceed?
type Verdict struct {
	Pass    bool   `json:"pass"`
	Reason  string `json:"reason"`
	Product string `json:"product"`
	Release string `json:"release"`
	// Hash is the model hash the gate judged.
	Hash string `json:"hash,omitempty"`
	// Review is the review judged (0 when there is none), State its state.
	Review int64 `json:"review,omitempty"`
	State  State `json:"state,omitempty"`
}

// Gate judges whether the model with the hash may proceed, given the
// review that reviewed that hash (nil when none did) and the current review
// of the product release. An empty hash means the current review's model.
// It passes only when that review is approved, is still current, and no
// accepted risk's exception has expired since.
func Gate(product, release, hash string, reviewed, current *Review, now time.Time) Verdict {
	v := Verdict{Product: product, Release: release, Hash: hash}
	r := reviewed
	if hash == "" {
		r = current
	}
	if r == nil {
		if current == nil {
			v.Reason = fmt.Sprintf("no model of %s %s was submitted for review", product, release)
		} else {
			v.Reason = fmt.Sprintf("model %s of %s %s was never submitted for review; the current review %d is of model %s",
				short(hash), product, release, current.ID, short(current.ModelHash))
		}
		return v
	}
	v.Hash, v.Review, v.State = r.ModelHash, r.ID, r.State
	switch r.State {
	case StateApproved:
	case StateSuperseded:
		v.Reason = fmt.Sprintf("review %d of model %s was superseded by review %d: the model changed", r.ID, short(r.ModelHash), r.SupersededBy)
		return v
	case StateRejected:
		reason := ""
		for _, d := range r.Decisions {
			if d.Action == ActionReject {
				reason = d.Reason
			}
		}
		v.Reason = fmt.Sprintf("review %d of model %s was rejected: %s", r.ID, short(r.ModelHash), reason)
		return v
	default:
		v.Reason = fmt.Sprintf("review %d of model %s is %s, not approved", r.ID, short(r.ModelHash), r.State)
		return v
	}
	if current != nil && current.ID != r.ID {
		v.Reason = fmt.Sprintf("review %d approved model %s, but review %d of model %s is current", r.ID, short(r.ModelHash), current.ID, short(current.ModelHash))
		return v
	}
	for _, k := range r.Risks.Accepted {
		if k.Expires == nil || !now.UTC().Before(k.Expires.AddDate(0, 0, 1)) {
			day := "?"
			if k.Expires != nil {
				day = k.Expires.Format(time.DateOnly)
			}
			v.Reason = fmt.Sprintf("review %d was approved, but the exception accepting %s on %s expired on %s: resubmit the model",
				r.ID, k.RuleID, k.Element, day)
			return v
		}
	}
	v.Pass = true
	v.Reason = fmt.Sprintf("review %d approved model %s", r.ID, short(r.ModelHash))
	return v
}
