package golang

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"runtime/debug"
)

// This file builds the smallest executables that debug/buildinfo accepts,
// so that the go-binary tests run on every format without a cross-compiled
// binary in the repository, and the fuzzer starts from inputs of a few
// hundred bytes. The layout of the build info blob is the one
// debug/buildinfo documents (Go 1.18+, strings inline).

// Module framing that cmd/go puts around the module info string
// (cmd/go/internal/modload.infoStart and infoEnd).
const (
	infoStart = "0w\xaf\f\x92t\b\x02A\xe1\xc1\a\xe6\xd6\x18\xe6"
	infoEnd   = "\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"
)

// buildInfoBlob returns the bytes the linker writes for bi: a 32-byte header
// starting with the build info magic, then the Go version and the framed
// module info as varint-prefixed strings. A nil bi is a binary built
// without modules.
func buildInfoBlob(goVersion string, bi *debug.BuildInfo) []byte {
	if bi == nil {
		return rawBuildInfoBlob(goVersion, "")
	}
	c := *bi
	c.GoVersion = "" // the version is stored on its own
	return rawBuildInfoBlob(goVersion, c.String())
}

// rawBuildInfoBlob is buildInfoBlob with the module info given as text.
func rawBuildInfoBlob(goVersion, modInfo string) []byte {
	var b bytes.Buffer
	b.WriteString("\xff Go buildinf:")
	b.WriteByte(8) // pointer size, unused with inline strings
	b.WriteByte(2) // flags: strings inline, little endian
	b.Write(make([]byte, 16))
	mod := ""
	if modInfo != "" {
		mod = infoStart + modInfo + infoEnd
	}
	for _, s := range []string{goVersion, mod} {
		b.Write(binary.AppendUvarint(nil, uint64(len(s))))
		b.WriteString(s)
	}
	// The data segment goes on after the build info in a real binary.
	b.Write(make([]byte, 16))
	return b.Bytes()
}

const dataAddr = 0x10000 // virtual address of the data in every format below

// elfExe returns a 64-bit little-endian ELF file whose only loadable segment
// (read-write) holds data. With section set, it also has a ".go.buildinfo"
// section over the same bytes, as Go's linker writes.
func elfExe(data []byte, section bool) []byte {
	const (
		ehdrSize = 64
		phdrSize = 56
		shdrSize = 64
		dataOff  = 0x100
	)
	shstrtab := []byte("\x00.go.buildinfo\x00.shstrtab\x00")
	shstrOff := dataOff + len(data)
	shOff := (shstrOff + len(shstrtab) + 7) &^ 7
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Phoff: ehdrSize, Ehsize: ehdrSize, Phentsize: phdrSize, Phnum: 1, Shentsize: shdrSize,
	}
	copy(hdr.Ident[:], "\x7fELF")
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	if section {
		hdr.Shoff, hdr.Shnum, hdr.Shstrndx = uint64(shOff), 3, 2
	}
	prog := elf.Prog64{
		Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_W), Off: dataOff,
		Vaddr: dataAddr, Paddr: dataAddr, Filesz: uint64(len(data)), Memsz: uint64(len(data)), Align: 16,
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, hdr)
	binary.Write(&b, binary.LittleEndian, prog)
	pad(&b, dataOff)
	b.Write(data)
	if section {
		b.Write(shstrtab)
		pad(&b, shOff)
		binary.Write(&b, binary.LittleEndian, elf.Section64{})
		binary.Write(&b, binary.LittleEndian, elf.Section64{
			Name: 1, Type: uint32(elf.SHT_PROGBITS), Flags: uint64(elf.SHF_ALLOC | elf.SHF_WRITE),
			Addr: dataAddr, Off: dataOff, Size: uint64(len(data)), Addralign: 16,
		})
		binary.Write(&b, binary.LittleEndian, elf.Section64{
			Name: 15, Type: uint32(elf.SHT_STRTAB), Off: uint64(shstrOff), Size: uint64(len(shstrtab)), Addralign: 1,
		})
	}
	return b.Bytes()
}

// machoExe returns a 64-bit Mach-O executable with one read-write segment
// holding data in a "__go_buildinfo" section.
func machoExe(data []byte) []byte {
	const (
		hdrSize = 32
		segSize = 72
		secSize = 80
		dataOff = 0x200
	)
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, macho.FileHeader{
		Magic: macho.Magic64, Cpu: macho.CpuArm64, Type: macho.TypeExec, Ncmd: 1, Cmdsz: segSize + secSize,
	})
	binary.Write(&b, binary.LittleEndian, uint32(0)) // reserved (64-bit header)
	seg := macho.Segment64{
		Cmd: macho.LoadCmdSegment64, Len: segSize + secSize, Addr: dataAddr, Memsz: uint64(len(data)),
		Offset: dataOff, Filesz: uint64(len(data)), Maxprot: 3, Prot: 3, Nsect: 1,
	}
	copy(seg.Name[:], "__DATA")
	binary.Write(&b, binary.LittleEndian, seg)
	sec := macho.Section64{Addr: dataAddr, Size: uint64(len(data)), Offset: dataOff, Align: 4}
	copy(sec.Name[:], "__go_buildinfo")
	copy(sec.Seg[:], "__DATA")
	binary.Write(&b, binary.LittleEndian, sec)
	pad(&b, dataOff)
	b.Write(data)
	return b.Bytes()
}

// fatExe wraps a Mach-O file in a universal ("fat") file with one slice.
func fatExe(thin []byte) []byte {
	const off = 0x1000
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, macho.MagicFat)
	binary.Write(&b, binary.BigEndian, uint32(1)) // one slice
	binary.Write(&b, binary.BigEndian, macho.FatArchHeader{Cpu: macho.CpuArm64, Offset: off, Size: uint32(len(thin)), Align: 12})
	pad(&b, off)
	b.Write(thin)
	return b.Bytes()
}

// peExe returns a 64-bit PE executable whose first (and only) section is
// initialized read-write data holding data.
func peExe(data []byte) []byte {
	const (
		peOff   = 0x40
		dataOff = 0x400
		rva     = 0x1000
		base    = dataAddr - rva
	)
	var b bytes.Buffer
	b.WriteString("MZ")
	pad(&b, 0x3c)
	binary.Write(&b, binary.LittleEndian, uint32(peOff))
	pad(&b, peOff)
	b.WriteString("PE\x00\x00")
	opt := pe.OptionalHeader64{
		Magic: 0x20b, ImageBase: base, SectionAlignment: 0x1000, FileAlignment: 0x200,
		SizeOfHeaders: dataOff, NumberOfRvaAndSizes: 16,
	}
	binary.Write(&b, binary.LittleEndian, pe.FileHeader{
		Machine: pe.IMAGE_FILE_MACHINE_AMD64, NumberOfSections: 1, SizeOfOptionalHeader: uint16(binary.Size(opt)),
		Characteristics: pe.IMAGE_FILE_EXECUTABLE_IMAGE,
	})
	binary.Write(&b, binary.LittleEndian, opt)
	sec := pe.SectionHeader32{
		VirtualSize: uint32(len(data)), VirtualAddress: rva, SizeOfRawData: uint32(len(data)),
		PointerToRawData: dataOff, Characteristics: pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ | pe.IMAGE_SCN_MEM_WRITE,
	}
	copy(sec.Name[:], ".data")
	binary.Write(&b, binary.LittleEndian, sec)
	pad(&b, dataOff)
	b.Write(data)
	return b.Bytes()
}

// pad fills b with zeros up to length n.
func pad(b *bytes.Buffer, n int) {
	if b.Len() < n {
		b.Write(make([]byte, n-b.Len()))
	}
}
