package chattmpl

import (
	"fmt"

	"github.com/ardanlabs/jinja"
)

// rangeBudget is how many numbers all range() calls of one render may make
// together. A template comes from a model file, and the Jinja engine's own
// range makes whatever it is asked for: range(10**10) would take the
// engine's memory and a loop of loops the worker's time before a reply
// could start. Real chat templates count messages (a few hundred numbers);
// a render past the budget fails with a clear error instead, and the
// engine falls back to llama.cpp's formatting of the template.
const rangeBudget = 1 << 17

// boundedRange is Jinja's range(stop), range(start, stop[, step]), sharing
// one budget per render.
func boundedRange() jinja.Value {
	left := int64(rangeBudget)
	return jinja.NewCallable("range", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		var start, stop, step int64 = 0, 0, 1
		n := make([]int64, len(args))
		for i, a := range args {
			switch {
			case a.IsInt():
				n[i] = a.AsInt()
			case a.IsBool():
				if a.AsBool() {
					n[i] = 1
				}
			case a.IsFloat():
				n[i] = int64(a.AsFloat())
			default:
				return jinja.Undefined(), fmt.Errorf("range: %s is not a number", a.String())
			}
		}
		switch len(n) {
		case 1:
			stop = n[0]
		case 2:
			start, stop = n[0], n[1]
		case 3:
			start, stop, step = n[0], n[1], n[2]
		default:
			return jinja.Undefined(), fmt.Errorf("range takes 1 to 3 numbers, not %d", len(n))
		}
		if step == 0 {
			return jinja.Undefined(), fmt.Errorf("range: the step must not be zero")
		}
		// How many numbers, in unsigned arithmetic: the span of two int64s
		// always fits in a uint64, whatever a hostile template passes.
		var span, by uint64
		switch {
		case step > 0 && stop > start:
			span, by = uint64(stop)-uint64(start), uint64(step)
		case step < 0 && stop < start:
			span, by = uint64(start)-uint64(stop), -uint64(step)
		}
		var count uint64
		if by > 0 {
			count = span / by
			if span%by != 0 {
				count++
			}
		}
		if count > uint64(left) {
			return jinja.Undefined(), fmt.Errorf("the chat template asks for more than %d numbers from range(); it is not run", rangeBudget)
		}
		left -= int64(count)
		items := make([]jinja.Value, count)
		for i := range items {
			items[i] = jinja.NewInt(start + int64(i)*step)
		}
		return jinja.NewList(items), nil
	})
}
