package pdf

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// glyphNames maps the common Adobe glyph names to text: "name hex" pairs.
// Uppercase names in pairedNames also name their lowercase twin at the next
// code point (Amacron 0100 → amacron 0101).
const glyphNames = `
space 20 exclam 21 quotedbl 22 numbersign 23 dollar 24 percent 25 ampersand 26 quotesingle 27
quoteright 2019 parenleft 28 parenright 29 asterisk 2A plus 2B comma 2C hyphen 2D period 2E slash 2F
zero 30 one 31 two 32 three 33 four 34 five 35 six 36 seven 37 eight 38 nine 39 colon 3A semicolon 3B
less 3C equal 3D greater 3E question 3F at 40 bracketleft 5B backslash 5C bracketright 5D
asciicircum 5E underscore 5F grave 60 quoteleft 2018 braceleft 7B bar 7C braceright 7D asciitilde 7E
exclamdown A1 cent A2 sterling A3 currency A4 yen A5 brokenbar A6 section A7 dieresis A8 copyright A9
ordfeminine AA guillemotleft AB guillemetleft AB logicalnot AC sfthyphen AD registered AE macron AF
degree B0 plusminus B1 twosuperior B2 threesuperior B3 acute B4 mu B5 paragraph B6 periodcentered B7
cedilla B8 onesuperior B9 ordmasculine BA guillemotright BB guillemetright BB onequarter BC onehalf BD
threequarters BE questiondown BF Agrave C0 Aacute C1 Acircumflex C2 Atilde C3 Adieresis C4 Aring C5
AE C6 Ccedilla C7 Egrave C8 Eacute C9 Ecircumflex CA Edieresis CB Igrave CC Iacute CD Icircumflex CE
Idieresis CF Eth D0 Ntilde D1 Ograve D2 Oacute D3 Ocircumflex D4 Otilde D5 Odieresis D6 multiply D7
Oslash D8 Ugrave D9 Uacute DA Ucircumflex DB Udieresis DC Yacute DD Thorn DE germandbls DF agrave E0
aacute E1 acircumflex E2 atilde E3 adieresis E4 aring E5 ae E6 ccedilla E7 egrave E8 eacute E9
ecircumflex EA edieresis EB igrave EC iacute ED icircumflex EE idieresis EF eth F0 ntilde F1 ograve F2
oacute F3 ocircumflex F4 otilde F5 odieresis F6 divide F7 oslash F8 ugrave F9 uacute FA ucircumflex FB
udieresis FC yacute FD thorn FE ydieresis FF dotlessi 131 IJ 132 ij 133 kgreenlandic 138 napostrophe 149
OE 152 oe 153 Ydieresis 178 longs 17F florin 192 dotlessj 237 circumflex 2C6 caron 2C7 breve 2D8
dotaccent 2D9 ring 2DA ogonek 2DB tilde 2DC hungarumlaut 2DD gravecomb 300 acutecomb 301 tildecomb 303
endash 2013 emdash 2014 figuredash 2012 horizontalbar 2015 quotereversed 201B quotesinglbase 201A
quotedblleft 201C quotedblright 201D quotedblbase 201E dagger 2020 daggerdbl 2021 bullet 2022
onedotenleader 2024 twodotenleader 2025 ellipsis 2026 perthousand 2030 minute 2032 second 2033
guilsinglleft 2039 guilsinglright 203A exclamdbl 203C fraction 2044 Euro 20AC trademark 2122
Ifraktur 2111 weierstrass 2118 Rfraktur 211C Ohm 2126 estimated 212E aleph 2135 onethird 2153
twothirds 2154 oneeighth 215B threeeighths 215C fiveeighths 215D seveneighths 215E arrowleft 2190
arrowup 2191 arrowright 2192 arrowdown 2193 arrowboth 2194 arrowupdn 2195 carriagereturn 21B5
arrowdblleft 21D0 arrowdblup 21D1 arrowdblright 21D2 arrowdbldown 21D3 arrowdblboth 21D4 universal 2200
partialdiff 2202 existential 2203 emptyset 2205 Delta 394 increment 2206 gradient 2207 element 2208
notelement 2209 suchthat 220B product 220F summation 2211 minus 2212 asteriskmath 2217 radical 221A
proportional 221D infinity 221E angle 2220 logicaland 2227 logicalor 2228 intersection 2229 union 222A
integral 222B therefore 2234 similar 223C congruent 2245 approxequal 2248 notequal 2260 equivalence 2261
lessequal 2264 greaterequal 2265 propersubset 2282 propersuperset 2283 notsubset 2284 reflexsubset 2286
reflexsuperset 2287 circleplus 2295 circlemultiply 2297 perpendicular 22A5 dotmath 22C5 angleleft 2329
angleright 232A lozenge 25CA spade 2660 club 2663 heart 2665 diamond 2666 openbullet 25E6
visiblespace 2423 nbspace A0 nonbreakingspace A0 uni00A0 A0 radicalex F8E5 theta1 3D1 phi1 3D5
omega1 3D6 sigma1 3C2 Upsilon1 3D2 epsilon1 3F5 dotlessi 131 Dcroat 110 dcroat 111 Lslash 141 lslash 142
Scaron 160 scaron 161 Zcaron 17D zcaron 17E ff FB00 fi FB01 fl FB02 ffi FB03 ffl FB04 st FB06
quotedblbase 201E commaaccent 326 ringfitted 2DA mu1 B5 Omega 3A9 lira 20A4 peseta 20A7 franc 20A3
colonmonetary 20A1 dong 20AB afii61352 2116 afii00208 2015 bar 7C arrowvertex 23D0 arrowhorizex 23AF
registersans AE copyrightsans A9 trademarksans 2122 registerserif AE copyrightserif A9 trademarkserif 2122
`

// pairedNames are uppercase names whose lowercase twin follows at the next
// code point (Latin Extended-A).
const pairedNames = `Amacron 100 Abreve 102 Aogonek 104 Cacute 106 Ccircumflex 108 Cdotaccent 10A
Ccaron 10C Dcaron 10E Emacron 112 Ebreve 114 Edotaccent 116 Eogonek 118 Ecaron 11A Gcircumflex 11C
Gbreve 11E Gdotaccent 120 Gcommaaccent 122 Hcircumflex 124 Hbar 126 Itilde 128 Imacron 12A Ibreve 12C
Iogonek 12E Jcircumflex 134 Kcommaaccent 136 Lacute 139 Lcommaaccent 13B Lcaron 13D Ldot 13F
Nacute 143 Ncommaaccent 145 Ncaron 147 Eng 14A Omacron 14C Obreve 14E Ohungarumlaut 150 Racute 154
Rcommaaccent 156 Rcaron 158 Sacute 15A Scircumflex 15C Scedilla 15E Tcommaaccent 162 Tcaron 164 Tbar 166
Utilde 168 Umacron 16A Ubreve 16C Uring 16E Uhungarumlaut 170 Uogonek 172 Wcircumflex 174
Ycircumflex 176 Zacute 179 Zdotaccent 17B Scommaaccent 218 Tcommaaccent 21A`

const greekUpper = "Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron Pi Rho _ Sigma Tau Upsilon Phi Chi Psi Omega"

var glyphTable = buildGlyphTable()

func buildGlyphTable() map[string]string {
	t := map[string]string{}
	add := func(name, hex string) {
		v, err := strconv.ParseUint(hex, 16, 32)
		if err == nil {
			t[name] = string(rune(v))
		}
	}
	f := strings.Fields(glyphNames)
	for i := 0; i+1 < len(f); i += 2 {
		add(f[i], f[i+1])
	}
	f = strings.Fields(pairedNames)
	for i := 0; i+1 < len(f); i += 2 {
		v, _ := strconv.ParseUint(f[i+1], 16, 32)
		t[f[i]] = string(rune(v))
		t[strings.ToLower(f[i][:1])+f[i][1:]] = string(rune(v + 1))
	}
	for i, n := range strings.Fields(greekUpper) {
		if n == "_" {
			continue
		}
		t[n] = string(rune(0x391 + i))
		t[strings.ToLower(n)] = string(rune(0x3B1 + i))
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[string(c)] = string(c)
		t[string(c+32)] = string(c + 32)
	}
	for _, l := range []string{"ff", "fi", "fl", "ffi", "ffl", "st"} {
		t[l] = l // ligatures become their letters
	}
	t["Delta"] = "\u0394"
	t["Omega"] = "\u03A9"
	t["mu"] = "\u00B5" // as the Adobe Glyph List has it
	return t
}

// glyphText maps a glyph name to its text: Adobe names, uniXXXX, uXXXX,
// suffixed (a.sc) and ligature (f_f_i) forms; "" when unknown.
func glyphText(name string) string {
	if s, ok := glyphTable[name]; ok {
		return s
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return glyphText(name[:i])
	}
	if strings.Contains(name, "_") {
		var b strings.Builder
		for _, p := range strings.Split(name, "_") {
			b.WriteString(glyphText(p))
		}
		return b.String()
	}
	if strings.HasPrefix(name, "uni") && len(name) >= 7 && (len(name)-3)%4 == 0 {
		var b strings.Builder
		for i := 3; i+4 <= len(name); i += 4 {
			v, err := strconv.ParseUint(name[i:i+4], 16, 32)
			if err != nil || (v >= 0xD800 && v < 0xE000) {
				return ""
			}
			b.WriteRune(rune(v))
		}
		return b.String()
	}
	if len(name) >= 5 && len(name) <= 7 && name[0] == 'u' {
		v, err := strconv.ParseUint(name[1:], 16, 32)
		if err == nil && v <= unicode.MaxRune && !(v >= 0xD800 && v < 0xE000) {
			return string(rune(v))
		}
	}
	return ""
}

// Encodings of simple fonts: text per code, "" where a code is undefined.
type encoding [256]string

var (
	standardEncoding = namedEncoding(map[int]string{
		0x27: "quoteright", 0x60: "quoteleft", 0xA1: "exclamdown", 0xA2: "cent", 0xA3: "sterling", 0xA4: "fraction",
		0xA5: "yen", 0xA6: "florin", 0xA7: "section", 0xA8: "currency", 0xA9: "quotesingle", 0xAA: "quotedblleft",
		0xAB: "guillemotleft", 0xAC: "guilsinglleft", 0xAD: "guilsinglright", 0xAE: "fi", 0xAF: "fl", 0xB1: "endash",
		0xB2: "dagger", 0xB3: "daggerdbl", 0xB4: "periodcentered", 0xB6: "paragraph", 0xB7: "bullet",
		0xB8: "quotesinglbase", 0xB9: "quotedblbase", 0xBA: "quotedblright", 0xBB: "guillemotright", 0xBC: "ellipsis",
		0xBD: "perthousand", 0xBF: "questiondown", 0xC1: "grave", 0xC2: "acute", 0xC3: "circumflex", 0xC4: "tilde",
		0xC5: "macron", 0xC6: "breve", 0xC7: "dotaccent", 0xC8: "dieresis", 0xCA: "ring", 0xCB: "cedilla",
		0xCD: "hungarumlaut", 0xCE: "ogonek", 0xCF: "caron", 0xD0: "emdash", 0xE1: "AE", 0xE3: "ordfeminine",
		0xE8: "Lslash", 0xE9: "Oslash", 0xEA: "OE", 0xEB: "ordmasculine", 0xF1: "ae", 0xF5: "dotlessi",
		0xF8: "lslash", 0xF9: "oslash", 0xFA: "oe", 0xFB: "germandbls",
	}, false)
	winAnsiEncoding = func() encoding {
		var e encoding
		for c := 0x20; c < 0x100; c++ {
			e[c] = string(rune(c))
		}
		for c := 0x80; c < 0xA0; c++ {
			e[c] = string(doctext.CP1252High(byte(c)))
		}
		e[0x7F], e[0xAD] = "", "-"
		return e
	}()
	macRomanEncoding = func() encoding {
		var e encoding
		for c := 0x20; c < 0x7F; c++ {
			e[c] = string(rune(c))
		}
		for i, r := range []rune(macRomanHigh) {
			e[0x80+i] = string(r)
		}
		return e
	}()
	symbolEncoding = namedEncoding(map[int]string{
		0x22: "universal", 0x24: "existential", 0x27: "suchthat", 0x2A: "asteriskmath", 0x2D: "minus", 0x40: "congruent",
		0x5C: "therefore", 0x5E: "perpendicular", 0x60: "radicalex", 0x7E: "similar", 0xA3: "lessequal", 0xA5: "infinity",
		0xAC: "arrowleft", 0xAE: "arrowright", 0xB0: "degree", 0xB1: "plusminus", 0xB3: "greaterequal", 0xB4: "multiply",
		0xB6: "partialdiff", 0xB7: "bullet", 0xB9: "notequal", 0xBA: "equivalence", 0xBB: "approxequal", 0xBC: "ellipsis",
		0xC7: "intersection", 0xC8: "union", 0xCE: "element", 0xD6: "radical", 0xD7: "dotmath", 0xE5: "summation",
		0xF2: "integral", 0xE1: "angleleft", 0xF1: "angleright",
	}, true)
)

const macRomanHigh = "ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø¿¡¬√ƒ≈∆«»…\u00a0ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄¤‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\uF8FFÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ"

// namedEncoding builds an encoding from ASCII (or the Symbol font's Greek
// letters) plus the named exceptions.
func namedEncoding(names map[int]string, symbol bool) encoding {
	var e encoding
	for c := 0x20; c < 0x7F; c++ {
		e[c] = string(rune(c))
	}
	if symbol {
		up := "Alpha Beta Chi Delta Epsilon Phi Gamma Eta Iota theta1 Kappa Lambda Mu Nu Omicron Pi Theta Rho Sigma Tau Upsilon sigma1 Omega Xi Psi Zeta"
		for i, n := range strings.Fields(up) {
			e[0x41+i] = glyphText(n)
			if lo := strings.ToLower(n); n != "theta1" && n != "sigma1" {
				e[0x61+i] = glyphText(lo)
			}
		}
		e[0x4A+0x20], e[0x56+0x20], e[0x57+0x20] = glyphText("phi1"), glyphText("omega1"), glyphText("omega")
	}
	for c, n := range names {
		e[c] = glyphText(n)
	}
	return e
}

func baseEncoding(name pdfName) (encoding, bool) {
	switch name {
	case "WinAnsiEncoding":
		return winAnsiEncoding, true
	case "MacRomanEncoding", "MacExpertEncoding":
		return macRomanEncoding, true
	case "StandardEncoding":
		return standardEncoding, true
	}
	return encoding{}, false
}

// decodeTextString decodes a PDF text string: UTF-16 with a BOM, UTF-8 with a
// BOM, else PDFDocEncoding (Latin-1 with typographic extras).
func decodeTextString(s pdfString) string {
	b := []byte(s)
	if len(b) >= 2 && (b[0] == 0xFE && b[1] == 0xFF || b[0] == 0xFF && b[1] == 0xFE) {
		return doctext.DecodeUTF16(b[2:], b[0] == 0xFE)
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	}
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c >= 0x80 && c < 0xA0:
			sb.WriteRune(pdfDocHigh[c-0x80])
		case c == 0x18 || c == 0x19 || c == 0x1A || c == 0x1B || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x1F:
			sb.WriteString(string([]rune("˘ˇˆ˙˝˛˚˜")[c-0x18]))
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

var pdfDocHigh = []rune("•†‡…—–ƒ⁄‹›−‰„“”‘’‚™ﬁﬂŁŒŠŸŽıłœšž\uFFFD")
