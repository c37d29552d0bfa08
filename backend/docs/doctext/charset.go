package doctext

import "unicode/utf16"

// cp1252High is Windows-1252 (and WinAnsiEncoding) from 0x80 to 0x9F; the
// codes Windows leaves undefined are bullets in PDF.
var cp1252High = []rune("€•‚ƒ„…†‡ˆ‰Š‹Œ•Ž••‘’“”•–—˜™š›œ•žŸ")

// CP1252High returns the character Windows-1252 (and PDF's WinAnsiEncoding)
// gives byte c, for c from 0x80 to 0x9F; the five codes Windows leaves
// undefined come back as bullets, as PDF has them.
func CP1252High(c byte) rune { return cp1252High[c-0x80] }

// DecodeUTF16 decodes big- or little-endian UTF-16, replacing bad units.
func DecodeUTF16(b []byte, bigEndian bool) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		if bigEndian {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		} else {
			u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
		}
	}
	return string(utf16.Decode(u)) // a lone surrogate becomes U+FFFD
}
