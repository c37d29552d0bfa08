package doctext

import "unicode"

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
	return string(utf16Decode(u))
}

func utf16Decode(u []uint16) []rune {
	out := make([]rune, 0, len(u))
	for i := 0; i < len(u); i++ {
		c := rune(u[i])
		switch {
		case c >= 0xD800 && c < 0xDC00 && i+1 < len(u) && u[i+1] >= 0xDC00 && u[i+1] < 0xE000:
			out = append(out, 0x10000+(c-0xD800)<<10+(rune(u[i+1])-0xDC00))
			i++
		case c >= 0xD800 && c < 0xE000:
			out = append(out, unicode.ReplacementChar)
		default:
			out = append(out, c)
		}
	}
	return out
}
