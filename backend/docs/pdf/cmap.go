package pdf

import (
	"sort"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// cmap is a parsed CMap: a ToUnicode map (code → text) or an encoding
// CMap (code → CID). Codes are keyed with their byte length, since <20>
// and <0020> are different codes.
type cmap struct {
	space  []codeRange       // codespace ranges
	chars  map[uint64]string // bfchar (ToUnicode)
	ranges []bfRange         // bfrange (ToUnicode), by lo
	maxHi  []uint32          // maxHi[i]: the highest hi of ranges[:i+1]
	cids   map[uint64]uint32 // cidchar (encoding)
	cidRgs []cidRange        // cidrange (encoding)
}

type codeRange struct {
	n      int // bytes
	lo, hi []byte
}

type bfRange struct {
	n      int
	lo, hi uint32
	dst    []rune   // the first code's text; later codes add to its last rune
	arr    []string // explicit texts, when the range maps to an array
}

type cidRange struct {
	n      int
	lo, hi uint32
	cid    uint32
}

func codeKey(n int, c uint32) uint64 { return uint64(n)<<32 | uint64(c) }

func codeOf(b []byte) uint32 {
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v
}

// parseCMap reads the CMap operators it needs; everything else is skipped.
func parseCMap(data []byte) *cmap {
	m := &cmap{chars: map[uint64]string{}, cids: map[uint64]uint32{}}
	l := &lexer{b: data, noRefs: true, maxDepth: 8}
	var stack []pdfObj
	for steps := 0; steps < 1<<22; steps++ {
		o, err := l.object(0)
		if err == errEOF {
			break
		}
		if err != nil {
			if err == errTooDeep {
				break
			}
			stack = stack[:0]
			continue
		}
		kw, ok := o.(pdfKeyword)
		if !ok {
			if len(stack) < 1<<16 {
				stack = append(stack, o)
			}
			continue
		}
		switch kw {
		case "endcodespacerange":
			for i := 0; i+1 < len(stack); i += 2 {
				lo, ok1 := stack[i].(pdfString)
				hi, ok2 := stack[i+1].(pdfString)
				if ok1 && ok2 && len(lo) == len(hi) && len(lo) >= 1 && len(lo) <= 4 {
					m.space = append(m.space, codeRange{n: len(lo), lo: []byte(lo), hi: []byte(hi)})
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(stack); i += 2 {
				src, ok1 := stack[i].(pdfString)
				if !ok1 || len(src) == 0 || len(src) > 4 {
					continue
				}
				switch dst := stack[i+1].(type) {
				case pdfString:
					m.chars[codeKey(len(src), codeOf([]byte(src)))] = bfText(dst)
				case pdfName:
					m.chars[codeKey(len(src), codeOf([]byte(src)))] = glyphText(string(dst))
				}
			}
		case "endbfrange":
			for i := 0; i+2 < len(stack); i += 3 {
				lo, ok1 := stack[i].(pdfString)
				hi, ok2 := stack[i+1].(pdfString)
				if !ok1 || !ok2 || len(lo) == 0 || len(lo) > 4 || len(hi) != len(lo) {
					continue
				}
				r := bfRange{n: len(lo), lo: codeOf([]byte(lo)), hi: codeOf([]byte(hi))}
				if r.hi < r.lo {
					continue
				}
				switch dst := stack[i+2].(type) {
				case pdfString:
					r.dst = []rune(bfText(dst))
				case pdfArray:
					for _, x := range dst {
						s, _ := x.(pdfString)
						r.arr = append(r.arr, bfText(s))
					}
				default:
					continue
				}
				m.ranges = append(m.ranges, r)
			}
		case "endcidchar":
			for i := 0; i+1 < len(stack); i += 2 {
				src, ok1 := stack[i].(pdfString)
				cid, ok2 := stack[i+1].(int64)
				if ok1 && ok2 && len(src) > 0 && len(src) <= 4 && cid >= 0 {
					m.cids[codeKey(len(src), codeOf([]byte(src)))] = uint32(cid)
				}
			}
		case "endcidrange":
			for i := 0; i+2 < len(stack); i += 3 {
				lo, ok1 := stack[i].(pdfString)
				hi, ok2 := stack[i+1].(pdfString)
				cid, ok3 := stack[i+2].(int64)
				if ok1 && ok2 && ok3 && len(lo) > 0 && len(lo) <= 4 && len(hi) == len(lo) && cid >= 0 {
					m.cidRgs = append(m.cidRgs, cidRange{n: len(lo), lo: codeOf([]byte(lo)), hi: codeOf([]byte(hi)), cid: uint32(cid)})
				}
			}
		}
		stack = stack[:0]
	}
	sort.SliceStable(m.ranges, func(i, j int) bool { return m.ranges[i].lo < m.ranges[j].lo })
	m.maxHi = make([]uint32, len(m.ranges))
	for i, r := range m.ranges {
		m.maxHi[i] = r.hi
		if i > 0 && m.maxHi[i-1] > r.hi {
			m.maxHi[i] = m.maxHi[i-1]
		}
	}
	return m
}

// bfText decodes a ToUnicode destination: UTF-16BE.
func bfText(s pdfString) string {
	b := []byte(s)
	if len(b) == 1 {
		return string(rune(b[0]))
	}
	return doctext.DecodeUTF16(b, true)
}

// lookup maps a code of n bytes to text.
func (m *cmap) lookup(n int, c uint32) (string, bool) {
	if s, ok := m.chars[codeKey(n, c)]; ok {
		return s, true
	}
	i := sort.Search(len(m.ranges), func(i int) bool { return m.ranges[i].lo > c }) - 1
	for ; i >= 0 && m.maxHi[i] >= c; i-- {
		r := m.ranges[i]
		if r.n != n || c < r.lo || c > r.hi {
			continue
		}
		off := c - r.lo
		if r.arr != nil {
			if int(off) < len(r.arr) {
				return r.arr[off], true
			}
			return "", false
		}
		if len(r.dst) == 0 {
			return "", false
		}
		out := append([]rune{}, r.dst...)
		out[len(out)-1] += rune(off)
		return string(out), true
	}
	return "", false
}

// cid maps a code to a CID through an encoding CMap.
func (m *cmap) cid(n int, c uint32) (uint32, bool) {
	if v, ok := m.cids[codeKey(n, c)]; ok {
		return v, true
	}
	for _, r := range m.cidRgs {
		if r.n == n && c >= r.lo && c <= r.hi {
			return r.cid + c - r.lo, true
		}
	}
	return 0, false
}

// codeLen returns the length of the code starting at b according to the
// codespace ranges, or 0 when the CMap declares none.
func (m *cmap) codeLen(b []byte) int {
	if m == nil || len(m.space) == 0 {
		return 0
	}
	for n := 1; n <= 4 && n <= len(b); n++ {
		for _, r := range m.space {
			if r.n != n {
				continue
			}
			in := true
			for k := 0; k < n; k++ {
				if b[k] < r.lo[k] || b[k] > r.hi[k] {
					in = false
					break
				}
			}
			if in {
				return n
			}
		}
	}
	// No range matches: use the shortest declared length.
	short := 4
	for _, r := range m.space {
		short = min(short, r.n)
	}
	return short
}
