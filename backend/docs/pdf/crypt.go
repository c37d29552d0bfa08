package pdf

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
)

// pdfCrypt decrypts the strings and streams of a PDF encrypted by the
// standard security handler with an empty user password: files that open
// without a password but carry an owner password restricting printing or
// copying. Any other encryption is reported as password-protected.
type pdfCrypt struct {
	key       []byte
	strAES    bool // strings use AES (else RC4), or none when strNone
	stmAES    bool
	strNone   bool
	stmNone   bool
	v5        bool // AES-256: the key is used as is
	encryptNo int  // the object number of the /Encrypt dictionary
}

// padding is the 32-byte password padding of the standard handler.
var padding = []byte("\x28\xbf\x4e\x5e\x4e\x75\x8a\x41\x64\x00\x4e\x56\xff\xfa\x01\x08\x2e\x2e\x00\xb6\xd0\x68\x3e\x80\x2f\x0c\xa9\xfe\x64\x53\x69\x7a")

var errPassword = errors.New("the PDF needs a password")

func newCrypt(d *pdfDoc, enc pdfDict) (*pdfCrypt, error) {
	if enc == nil || d.name(enc["Filter"]) != "Standard" {
		return nil, errors.New("unsupported security handler")
	}
	c := &pdfCrypt{}
	if r, ok := d.trailer["Encrypt"].(pdfRef); ok {
		c.encryptNo = r.num
	}
	v := d.int(enc["V"], 0)
	r := d.int(enc["R"], 0)
	o := []byte(d.str(enc["O"]))
	u := []byte(d.str(enc["U"]))
	p := uint32(int32(d.int(enc["P"], 0)))
	var id0 []byte
	if ids := d.array(d.trailer["ID"]); len(ids) > 0 {
		id0 = []byte(d.str(ids[0]))
	}
	encMeta := true
	if b, ok := d.resolve(enc["EncryptMetadata"]).(bool); ok {
		encMeta = b
	}
	// Crypt filters (V4, V5): which cipher strings and streams use.
	c.strAES, c.stmAES = v >= 4, v >= 4
	if v >= 4 {
		cf := d.dict(enc["CF"])
		method := func(name pdfName) (aes, none bool) {
			if name == "Identity" || name == "" {
				return false, true
			}
			m := d.name(d.dict(cf[name])["CFM"])
			return m == "AESV2" || m == "AESV3", m == "None"
		}
		c.strAES, c.strNone = method(d.name(enc["StrF"]))
		c.stmAES, c.stmNone = method(d.name(enc["StmF"]))
	}
	switch {
	case r >= 5:
		if len(u) < 48 {
			return nil, errors.New("bad /U")
		}
		ue := []byte(d.str(enc["UE"]))
		if !bytes.Equal(hash2B(nil, u[32:40], nil, r), u[:32]) || len(ue) < 32 {
			return nil, errPassword
		}
		k := hash2B(nil, u[40:48], nil, r)
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		c.key = make([]byte, 32)
		cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(c.key, ue[:32])
		c.v5 = true
	case r >= 2 && r <= 4:
		n := 5
		if r >= 3 {
			n = d.int(enc["Length"], 40) / 8
		}
		if n < 5 || n > 16 {
			n = 16
		}
		c.key = standardKey(o, p, id0, r, n, encMeta)
		want := 32
		if r >= 3 {
			want = 16 // the rest of /U is arbitrary padding
		}
		if len(u) < want || !bytes.Equal(userHash(c.key, id0, r)[:want], u[:want]) {
			return nil, errPassword
		}
	default:
		return nil, errors.New("unsupported encryption revision")
	}
	return c, nil
}

// standardKey computes the file key for the empty user password
// (algorithm 2 of the PDF specification).
func standardKey(o []byte, p uint32, id0 []byte, r, n int, encMeta bool) []byte {
	h := md5.New()
	h.Write(padding)
	h.Write(o)
	h.Write([]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)})
	h.Write(id0)
	if r >= 4 && !encMeta {
		h.Write([]byte{0xff, 0xff, 0xff, 0xff})
	}
	key := h.Sum(nil)
	if r >= 3 {
		for i := 0; i < 50; i++ {
			s := md5.Sum(key[:n])
			key = s[:]
		}
	}
	return key[:n]
}

// userHash computes /U for a key (algorithms 4 and 5).
func userHash(key, id0 []byte, r int) []byte {
	if r == 2 {
		out := make([]byte, 32)
		ci, _ := rc4.NewCipher(key)
		ci.XORKeyStream(out, padding)
		return out
	}
	h := md5.New()
	h.Write(padding)
	h.Write(id0)
	out := h.Sum(nil)
	k := make([]byte, len(key))
	for i := 0; i < 20; i++ {
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		ci, _ := rc4.NewCipher(k)
		ci.XORKeyStream(out, out)
	}
	return out
}

// hash2B is the AES-256 password hash (algorithm 2.B; plain SHA-256 for R5).
func hash2B(pw, salt, udata []byte, r int) []byte {
	s := sha256.Sum256(append(append(append([]byte{}, pw...), salt...), udata...))
	k := s[:]
	if r == 5 {
		return k
	}
	for round := 0; ; round++ {
		k1 := bytes.Repeat(append(append(append([]byte{}, pw...), k...), udata...), 64)
		block, _ := aes.NewCipher(k[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(block, k[16:32]).CryptBlocks(e, k1)
		sum := 0
		for _, b := range e[:16] {
			sum += int(b)
		}
		var h hash.Hash
		switch sum % 3 {
		case 0:
			h = sha256.New()
		case 1:
			h = sha512.New384()
		default:
			h = sha512.New()
		}
		h.Write(e)
		k = h.Sum(nil)
		if round >= 63 && int(e[len(e)-1]) <= round+1-32 { // round+1 rounds done
			return k[:32]
		}
	}
}

// objKey derives an object's key (algorithm 1).
func (c *pdfCrypt) objKey(num, gen int, aesMode bool) []byte {
	if c.v5 {
		return c.key
	}
	h := md5.New()
	h.Write(c.key)
	h.Write([]byte{byte(num), byte(num >> 8), byte(num >> 16), byte(gen), byte(gen >> 8)})
	if aesMode {
		h.Write([]byte("sAlT"))
	}
	return h.Sum(nil)[:min(len(c.key)+5, 16)]
}

func (c *pdfCrypt) decrypt(data []byte, num, gen int, aesMode bool) []byte {
	key := c.objKey(num, gen, aesMode)
	if !aesMode {
		out := make([]byte, len(data))
		ci, err := rc4.NewCipher(key)
		if err != nil {
			return data
		}
		ci.XORKeyStream(out, data)
		return out
	}
	if len(data) < 32 || len(data)%16 != 0 {
		return nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil
	}
	out := make([]byte, len(data)-16)
	cipher.NewCBCDecrypter(block, data[:16]).CryptBlocks(out, data[16:])
	if pad := int(out[len(out)-1]); pad >= 1 && pad <= 16 && pad <= len(out) {
		out = out[:len(out)-pad]
	}
	return out
}

// decryptObj decrypts the strings and stream data of an object loaded from
// the file (objects inside object streams come decrypted with their stream).
func (c *pdfCrypt) decryptObj(num, gen int, o pdfObj) pdfObj {
	if num == c.encryptNo {
		return o
	}
	var walk func(o pdfObj, depth int) pdfObj
	walk = func(o pdfObj, depth int) pdfObj {
		if depth > 64 {
			return o
		}
		switch v := o.(type) {
		case pdfString:
			if c.strNone {
				return v
			}
			return pdfString(c.decrypt([]byte(v), num, gen, c.strAES))
		case pdfArray:
			out := make(pdfArray, len(v))
			for i, x := range v {
				out[i] = walk(x, depth+1)
			}
			return out
		case pdfDict:
			out := make(pdfDict, len(v))
			for k, x := range v {
				out[k] = walk(x, depth+1)
			}
			return out
		case *pdfStream:
			if t, _ := v.dict["Type"].(pdfName); t == "XRef" || c.stmNone {
				return v
			}
			return &pdfStream{dict: walk(v.dict, depth+1).(pdfDict), raw: c.decrypt(v.raw, num, gen, c.stmAES)}
		}
		return o
	}
	return walk(o, 0)
}
