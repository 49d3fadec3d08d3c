package kojitest

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

func init() {
	def("queryRPMSigs", "queryRPMSigs", mQueryRPMSigs, "rpm_id=None", "sigkey=None", "queryOpts=None")
	def("addRPMSig", "addRPMSig", mAddRPMSig, "an_rpm", "data")
	def("writeSignedRPM", "writeSignedRPM", mWriteSignedRPM, "an_rpm", "sigkey", "force=False")
}

// WithTopDir makes the hub keep files as a real hub keeps them in its top
// directory: the RPMs of content-generator imports under
// packages/N/V/R/<arch>/, and the signed copies writeSignedRPM writes under
// packages/N/V/R/data/signed/<sigkey>/<arch>/. Serve dir as the top URL.
func WithTopDir(dir string) Option { return func(h *Hub) { h.topDir = dir } }

// rpmSig is one row of the hub's rpmsigs table, with the cached signature
// header (data/sigcache on a real hub).
type rpmSig struct {
	rpmID   int64
	sigkey  string // "" for an unsigned copy
	sighash string // md5 of the header
	header  []byte
}

// RPM signature header tags (koji.RPM_SIGTAG_*).
const (
	sigtagDSA = 267
	sigtagRSA = 268
	sigtagPGP = 1002
	sigtagMD5 = 1004
	sigtagGPG = 1005
)

var errBadRPM = errors.New("not an rpm")

// ripSigHeader returns an RPM file's signature header (after the 96-byte
// lead, padded to 8 bytes), as koji.rip_rpm_sighdr does.
func ripSigHeader(data []byte) ([]byte, error) {
	const lead = 96
	if len(data) < lead+16 || data[lead] != 0x8e || data[lead+1] != 0xad || data[lead+2] != 0xe8 {
		return nil, errBadRPM
	}
	il := int(binary.BigEndian.Uint32(data[lead+8:]))
	dl := int(binary.BigEndian.Uint32(data[lead+12:]))
	if il < 0 || dl < 0 || il > 1<<16 || dl > 1<<26 {
		return nil, errBadRPM
	}
	size := 16 + 16*il + dl
	size += (8 - size%8) % 8
	if len(data) < lead+size {
		return nil, errBadRPM
	}
	return data[lead : lead+size], nil
}

// sigHeaderInfo reads a signature header's MD5 digest (hex) and the key
// id of its signature ("" when unsigned), preferring the tags in koji's
// order: GPG, PGP, DSA, RSA.
func sigHeaderInfo(hdr []byte) (sigmd5, sigkey string, err error) {
	if len(hdr) < 16 || hdr[0] != 0x8e || hdr[1] != 0xad || hdr[2] != 0xe8 {
		return "", "", errBadRPM
	}
	il := int(binary.BigEndian.Uint32(hdr[8:]))
	dl := int(binary.BigEndian.Uint32(hdr[12:]))
	store := 16 + 16*il
	if il < 0 || dl < 0 || len(hdr) < store+dl {
		return "", "", errBadRPM
	}
	tags := map[int][]byte{}
	for i := range il {
		e := hdr[16+16*i:]
		tag, off, count := int(binary.BigEndian.Uint32(e)), int(binary.BigEndian.Uint32(e[8:])), int(binary.BigEndian.Uint32(e[12:]))
		if typ := binary.BigEndian.Uint32(e[4:]); typ != 7 { // BIN
			continue
		}
		if off < 0 || count < 0 || off+count > dl {
			return "", "", errBadRPM
		}
		tags[tag] = hdr[store+off : store+off+count]
	}
	if m := tags[sigtagMD5]; len(m) > 0 {
		sigmd5 = hex.EncodeToString(m)
	}
	for _, t := range []int{sigtagGPG, sigtagPGP, sigtagDSA, sigtagRSA} {
		if p := tags[t]; len(p) > 0 {
			k, err := sigpacketKeyID(p)
			if err != nil {
				return "", "", err
			}
			return sigmd5, k, nil
		}
	}
	return sigmd5, "", nil
}

// sigpacketKeyID is the short (4-byte, hex) id of the key that made an
// OpenPGP signature packet, as koji.get_sigpacket_key_id reads it.
func sigpacketKeyID(p []byte) (string, error) {
	if len(p) < 2 || p[0]&0x80 == 0 {
		return "", errors.New("not a signature packet")
	}
	var tag, hlen int
	if p[0]&0x40 != 0 { // new format
		tag = int(p[0] & 0x3f)
		switch l := p[1]; {
		case l < 192:
			hlen = 2
		case l < 224:
			hlen = 3
		default:
			hlen = 6
		}
	} else {
		tag = int(p[0]>>2) & 0x0f
		hlen = []int{2, 3, 5, 1}[p[0]&3]
	}
	if tag != 2 || len(p) < hlen+1 {
		return "", errors.New("not a signature packet")
	}
	body := p[hlen:]
	switch body[0] {
	case 3:
		if len(body) < 15 {
			return "", errBadRPM
		}
		return hex.EncodeToString(body[11:15]), nil
	case 4:
		if len(body) < 6 {
			return "", errBadRPM
		}
		var ids [][]byte
		n := int(binary.BigEndian.Uint16(body[4:]))
		if len(body) < 6+n+2 {
			return "", errBadRPM
		}
		ids = append(ids, subpacketIssuers(body[6:6+n])...)
		off := 6 + n
		m := int(binary.BigEndian.Uint16(body[off:]))
		if len(body) < off+2+m {
			return "", errBadRPM
		}
		ids = append(ids, subpacketIssuers(body[off+2:off+2+m])...)
		if len(ids) != 1 || len(ids[0]) < 4 {
			return "", errors.New("unexpected number of key IDs")
		}
		return hex.EncodeToString(ids[0][len(ids[0])-4:]), nil
	}
	return "", errors.New("unknown PGP signature packet version")
}

// subpacketIssuers returns the issuer key ids (subpacket 16) of v4
// signature subpackets.
func subpacketIssuers(s []byte) [][]byte {
	var out [][]byte
	for len(s) > 0 {
		var n, off int
		switch b := int(s[0]); {
		case b < 192:
			n, off = b, 1
		case b < 255:
			if len(s) < 2 {
				return out
			}
			n, off = ((b-192)<<8)+int(s[1])+192, 2
		default:
			if len(s) < 5 {
				return out
			}
			n, off = int(binary.BigEndian.Uint32(s[1:])), 5
		}
		if n < 1 || off+n > len(s) {
			return out
		}
		if s[off] == 16 {
			out = append(out, s[off+1:off+n])
		}
		s = s[off+n:]
	}
	return out
}

// importRPMFile records what a real hub records when it imports an RPM
// file: its payload hash (the signature header's MD5), the signature it
// carries (rpmsigs, "" when unsigned) and, with a top directory, the file.
func (h *Hub) importRPMFile(st *state, r *rpm, data []byte) {
	hdr, err := ripSigHeader(data)
	if err != nil {
		return
	}
	sigmd5, key, err := sigHeaderInfo(hdr)
	if err != nil {
		return
	}
	if sigmd5 != "" {
		r.payloadhash = sigmd5
	}
	r.size = int64(len(data))
	st.rpmFiles[r.id] = data
	sum := md5.Sum(hdr)
	st.rpmSigs = append(st.rpmSigs, &rpmSig{rpmID: r.id, sigkey: key, sighash: hex.EncodeToString(sum[:]), header: append([]byte(nil), hdr...)})
	if p := h.rpmPath(st, r, ""); p != "" {
		_ = replaceFile(p, data)
	}
}

// replaceFile puts data at p as a new file (written aside and renamed, as
// the hub moves files into place): a file already at p, perhaps a hard
// link to someone else's, is replaced, never rewritten.
func replaceFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".kojitest-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// rpmPath is where the top directory keeps an RPM (its signed copy for a
// sigkey); "" without a top directory.
func (h *Hub) rpmPath(st *state, r *rpm, sigkey string) string {
	if h.topDir == "" {
		return ""
	}
	b := st.builds[r.buildID]
	if b == nil {
		return ""
	}
	rel := r.arch + "/" + r.name + "-" + r.version + "-" + r.release + "." + r.arch + ".rpm"
	if sigkey != "" {
		rel = "data/signed/" + sigkey + "/" + rel
	}
	return filepath.Join(h.topDir, "packages", b.name, b.version, b.release, filepath.FromSlash(rel))
}

func nvra(r *rpm) string { return r.name + "-" + r.version + "-" + r.release + "." + r.arch }

func mQueryRPMSigs(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := []any{}
	var rpmID int64
	filter := a.has("rpm_id")
	if filter {
		if id, ok := a["rpm_id"].(int64); ok {
			rpmID = id
		} else {
			r := cx.st.findRPM(a["rpm_id"])
			if r == nil {
				return out, nil
			}
			rpmID = r.id
		}
	}
	key := strings.ToLower(a.str("sigkey"))
	for _, s := range cx.st.rpmSigs {
		if (filter && s.rpmID != rpmID) || (a.has("sigkey") && s.sigkey != key) {
			continue
		}
		out = append(out, map[string]any{"rpm_id": s.rpmID, "sigkey": s.sigkey, "sighash": s.sighash})
	}
	return applyQueryOpts(out, a.dict("queryOpts")), nil
}

func mAddRPMSig(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("sign"); f != nil {
		return nil, f
	}
	r := cx.st.findRPM(a["an_rpm"])
	if r == nil {
		return nil, fault(1000, "No such rpm: %s", rpmInfoRepr(a["an_rpm"]))
	}
	hdr, err := base64.StdEncoding.DecodeString(a.str("data"))
	if err != nil {
		return nil, fault(1000, "Incorrect padding")
	}
	sigmd5, key, err := sigHeaderInfo(hdr)
	if err != nil {
		return nil, fault(1000, "Invalid signature header: %v", err)
	}
	if sigmd5 != r.payloadhash {
		return nil, fault(1000, "wrong md5 for %s: %s", nvra(r), sigmd5)
	}
	for _, s := range cx.st.rpmSigs {
		if s.rpmID == r.id && s.sigkey == key {
			return nil, fault(1000, "Signature already exists for package %s, key %s", nvra(r), key)
		}
	}
	sum := md5.Sum(hdr)
	cx.st.rpmSigs = append(cx.st.rpmSigs, &rpmSig{rpmID: r.id, sigkey: key, sighash: hex.EncodeToString(sum[:]), header: hdr})
	cx.event()
	return nil, nil
}

func mWriteSignedRPM(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("sign"); f != nil {
		return nil, f
	}
	key := strings.ToLower(a.str("sigkey"))
	r := cx.st.findRPM(a["an_rpm"])
	if r == nil {
		return nil, fault(1000, "No such rpm: %s", rpmInfoRepr(a["an_rpm"]))
	}
	data, ok := cx.st.rpmFiles[r.id]
	unsigned := cx.h.rpmPath(cx.st, r, "")
	if !ok || unsigned == "" {
		return nil, fault(1000, "No such path: %s", unsigned)
	}
	var sig *rpmSig
	for _, s := range cx.st.rpmSigs {
		if s.rpmID == r.id && s.sigkey == key {
			sig = s
		}
	}
	if sig == nil {
		return nil, fault(1000, "No cached signature for package %s, key %s", nvra(r), key)
	}
	dst := cx.h.rpmPath(cx.st, r, key)
	if _, err := os.Stat(dst); err == nil && !a.boolean("force") {
		return nil, nil // already present
	}
	old, err := ripSigHeader(data)
	if err != nil {
		return nil, fault(1000, "Invalid rpm: %s", unsigned)
	}
	spliced := make([]byte, 0, len(data)-len(old)+len(sig.header))
	spliced = append(append(append(spliced, data[:96]...), sig.header...), data[96+len(old):]...)
	if err := replaceFile(dst, spliced); err != nil {
		return nil, fault(1000, "%v", err)
	}
	return nil, nil
}
