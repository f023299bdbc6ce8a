package key

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Errors of PKCS#11 keys, for errors.Is.
var (
	// ErrPKCS11URI means a pkcs11: URI could not be parsed or does not name
	// one key.
	ErrPKCS11URI = errors.New("bad PKCS#11 URI")
	// ErrPKCS11Module means the PKCS#11 module (shared library) is missing or
	// does not load.
	ErrPKCS11Module = errors.New("PKCS#11 module not usable")
	// ErrPKCS11Token means no token matches the URI.
	ErrPKCS11Token = errors.New("PKCS#11 token not found")
	// ErrPKCS11Login means logging in to the token failed: wrong PIN, or the
	// PIN is locked or expired.
	ErrPKCS11Login = errors.New("PKCS#11 login failed")
	// ErrPKCS11Key means no key pair on the token matches the URI, or more
	// than one does.
	ErrPKCS11Key = errors.New("PKCS#11 key not found")
	// ErrPKCS11NoCgo means this binary was built without cgo, which PKCS#11
	// needs to load a module.
	ErrPKCS11NoCgo = errors.New("PKCS#11 needs a build with cgo")
)

// EnvPKCS11Module names the PKCS#11 module used when a URI has no
// module-path or module-name.
const EnvPKCS11Module = "REDLINE_PKCS11_MODULE"

// Limits on pkcs11: URIs and the PIN files they point to.
const (
	maxPKCS11URI = 4096
	maxPINFile   = 1024
)

// defaultModules are tried in order when nothing names the module: the
// places Debian, Ubuntu, Fedora and Alpine install SoftHSM2.
var defaultModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// moduleDirs are searched for a module-name, as p11-kit installs modules.
var moduleDirs = []string{
	"/usr/lib/x86_64-linux-gnu/pkcs11",
	"/usr/lib/aarch64-linux-gnu/pkcs11",
	"/usr/lib/pkcs11",
	"/usr/lib64/pkcs11",
	"/usr/local/lib/pkcs11",
}

// PKCS11URI is a parsed RFC 7512 URI naming a key on a token.
type PKCS11URI struct {
	Token  string // token label ("token")
	Serial string // token serial number ("serial")
	SlotID *int   // slot number ("slot-id")
	Object string // key label ("object")
	ID     []byte // key CKA_ID ("id", percent-encoded bytes)
	Type   string // object class ("type"): empty, "private" or "public"

	PinValue   string // the PIN itself ("pin-value"); never printed
	PinSource  string // a file holding the PIN ("pin-source")
	ModulePath string // the module's path ("module-path")
	ModuleName string // the module's name ("module-name"), searched in the p11-kit directories
}

// pathAttrs are the RFC 7512 path attributes; those not in a PKCS11URI
// field further select the token, which the token label or serial already
// do, and are accepted and ignored.
var pathAttrs = map[string]bool{
	"token": true, "serial": true, "slot-id": true, "object": true, "id": true, "type": true,
	"manufacturer": true, "model": true, "library-manufacturer": true, "library-description": true,
	"library-version": true, "slot-description": true, "slot-manufacturer": true,
}

var queryAttrs = map[string]bool{"pin-value": true, "pin-source": true, "module-path": true, "module-name": true}

// ParsePKCS11URI parses a pkcs11: URI. It must select a token (token,
// serial or slot-id) and a key (object or id). Unknown standard attributes
// are refused; vendor attributes (x-…) are ignored.
func ParsePKCS11URI(s string) (*PKCS11URI, error) {
	if len(s) > maxPKCS11URI {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrPKCS11URI, maxPKCS11URI)
	}
	rest, ok := strings.CutPrefix(s, "pkcs11:")
	if !ok {
		return nil, fmt.Errorf("%w: does not start with \"pkcs11:\"", ErrPKCS11URI)
	}
	path, query, _ := strings.Cut(rest, "?")
	u := &PKCS11URI{}
	seen := map[string]bool{}
	if err := u.setAll(path, ";", pathAttrs, seen); err != nil {
		return nil, err
	}
	if err := u.setAll(query, "&", queryAttrs, seen); err != nil {
		return nil, err
	}
	switch {
	case u.Token == "" && u.Serial == "" && u.SlotID == nil:
		return nil, fmt.Errorf("%w: no token, serial or slot-id selects the token", ErrPKCS11URI)
	case u.Object == "" && len(u.ID) == 0:
		return nil, fmt.Errorf("%w: no object or id selects the key", ErrPKCS11URI)
	case u.PinValue != "" && u.PinSource != "":
		return nil, fmt.Errorf("%w: both pin-value and pin-source", ErrPKCS11URI)
	case u.ModulePath != "" && u.ModuleName != "":
		return nil, fmt.Errorf("%w: both module-path and module-name", ErrPKCS11URI)
	}
	return u, nil
}

// setAll parses sep-separated name=value attributes allowed by known.
func (u *PKCS11URI) setAll(part, sep string, known map[string]bool, seen map[string]bool) error {
	if part == "" {
		return nil
	}
	for attr := range strings.SplitSeq(part, sep) {
		if attr == "" {
			continue
		}
		name, raw, ok := strings.Cut(attr, "=")
		if !ok {
			return fmt.Errorf("%w: attribute %q has no value", ErrPKCS11URI, name)
		}
		if strings.HasPrefix(name, "x-") {
			continue
		}
		if !known[name] {
			return fmt.Errorf("%w: unknown attribute %q", ErrPKCS11URI, name)
		}
		if seen[name] {
			return fmt.Errorf("%w: attribute %q given twice", ErrPKCS11URI, name)
		}
		seen[name] = true
		v, err := url.PathUnescape(raw)
		if err != nil {
			return fmt.Errorf("%w: attribute %q: bad percent-encoding", ErrPKCS11URI, name)
		}
		if err := u.set(name, v); err != nil {
			return err
		}
	}
	return nil
}

func (u *PKCS11URI) set(name, v string) error {
	switch name {
	case "token":
		u.Token = v
	case "serial":
		u.Serial = v
	case "slot-id":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: slot-id %q is not a slot number", ErrPKCS11URI, v)
		}
		u.SlotID = &n
	case "object":
		u.Object = v
	case "id":
		if v != "" {
			u.ID = []byte(v)
		}
	case "type":
		if v != "private" && v != "public" {
			return fmt.Errorf("%w: type %q (want private or public: a key pair is used)", ErrPKCS11URI, v)
		}
		u.Type = v
	case "pin-value":
		u.PinValue = v
	case "pin-source":
		u.PinSource = v
	case "module-path":
		u.ModulePath = v
	case "module-name":
		if strings.ContainsAny(v, `/\`) || v == "" || v == "." || v == ".." {
			return fmt.Errorf("%w: module-name %q must be a bare name", ErrPKCS11URI, v)
		}
		u.ModuleName = v
	}
	// Names outside the fields (manufacturer, model, …) narrow the token
	// further; the label, serial or slot already pick one.
	return nil
}

// String returns the URI with the PIN value hidden, for messages.
func (u *PKCS11URI) String() string {
	var path []string
	add := func(list *[]string, name, v string) {
		if v != "" {
			*list = append(*list, name+"="+escapeAttr(v))
		}
	}
	add(&path, "token", u.Token)
	add(&path, "serial", u.Serial)
	if u.SlotID != nil {
		path = append(path, "slot-id="+strconv.Itoa(*u.SlotID))
	}
	add(&path, "object", u.Object)
	add(&path, "id", string(u.ID))
	add(&path, "type", u.Type)
	var query []string
	if u.PinValue != "" {
		query = append(query, "pin-value=REDACTED")
	}
	add(&query, "pin-source", u.PinSource)
	add(&query, "module-path", u.ModulePath)
	add(&query, "module-name", u.ModuleName)
	s := "pkcs11:" + strings.Join(path, ";")
	if len(query) > 0 {
		s += "?" + strings.Join(query, "&")
	}
	return s
}

// escapeAttr percent-encodes every byte outside RFC 7512's unreserved set
// plus a few safe characters.
func escapeAttr(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~:[]@!$'()*+,/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// PIN returns the PIN from pin-value or from the pin-source file. A URI
// with neither is an error: Redline never prompts for a token PIN.
func (u *PKCS11URI) PIN() (string, error) {
	if u.PinValue != "" {
		return u.PinValue, nil
	}
	if u.PinSource == "" {
		return "", fmt.Errorf("%w: %s has no pin-value or pin-source (for example ?pin-source=file:/run/secrets/hsm-pin)", ErrPKCS11URI, u)
	}
	p := u.PinSource
	if rest, ok := strings.CutPrefix(p, "file://"); ok {
		p = rest
	} else if rest, ok := strings.CutPrefix(p, "file:"); ok {
		p = rest
	} else if strings.Contains(p, ":") || strings.HasPrefix(p, "|") {
		return "", fmt.Errorf("%w: pin-source %q: only files are supported", ErrPKCS11URI, u.PinSource)
	}
	data, err := readSmall(p, maxPINFile)
	if err != nil {
		return "", fmt.Errorf("pin-source: %w", err)
	}
	pin := strings.TrimRight(string(data), "\r\n")
	if pin == "" {
		return "", fmt.Errorf("pin-source %s: empty", p)
	}
	return pin, nil
}

// Module finds the PKCS#11 module to load: module-path, module-name looked
// up in the p11-kit directories, $REDLINE_PKCS11_MODULE, then SoftHSM2's
// usual locations. The file must exist.
func (u *PKCS11URI) Module() (string, error) {
	var candidates []string
	source := ""
	switch {
	case u.ModulePath != "":
		candidates, source = []string{u.ModulePath}, "module-path"
	case u.ModuleName != "":
		for _, d := range moduleDirs {
			candidates = append(candidates, filepath.Join(d, u.ModuleName+".so"), filepath.Join(d, "lib"+u.ModuleName+".so"))
		}
		source = "module-name " + u.ModuleName
	case os.Getenv(EnvPKCS11Module) != "":
		candidates, source = []string{os.Getenv(EnvPKCS11Module)}, "$"+EnvPKCS11Module
	default:
		candidates, source = defaultModules, "the default SoftHSM2 locations"
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c, nil
		}
	}
	if len(candidates) == 1 {
		return "", fmt.Errorf("%w: %s (from %s) does not exist", ErrPKCS11Module, candidates[0], source)
	}
	return "", fmt.Errorf("%w: none found in %s (%s); set module-path in the URI or $%s", ErrPKCS11Module, source, strings.Join(candidates, ", "), EnvPKCS11Module)
}

// readSmall reads a file of at most limit bytes.
func readSmall(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return os.ReadFile(path)
}
