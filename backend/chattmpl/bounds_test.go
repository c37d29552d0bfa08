package chattmpl

import (
	"strings"
	"testing"
)

// range() renders as Python's within the budget, and a template that asks
// for more fails at once with a clear error instead of taking the memory.
func TestRangeIsBounded(t *testing.T) {
	for _, c := range []struct {
		name, src, want, err string
	}{
		{"stop", `{% for i in range(3) %}{{ i }}{% endfor %}`, "012", ""},
		{"start stop", `{% for i in range(2, 5) %}{{ i }}{% endfor %}`, "234", ""},
		{"step", `{% for i in range(0, 10, 4) %}{{ i }},{% endfor %}`, "0,4,8,", ""},
		{"down", `{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}`, "531", ""},
		{"empty", `{% for i in range(5, 0) %}{{ i }}{% endfor %}x`, "x", ""},
		{"over messages", `{% for i in range(messages|length) %}{{ messages[i].role }};{% endfor %}`, "user;", ""},
		{"the whole budget", `{{ range(131072)|length }}`, "131072", ""},
		{"huge", `{% for i in range(10**10) %}x{% endfor %}`, "", "more than 131072 numbers"},
		{"extremes", `{{ range(-9223372036854775807, 9223372036854775807)|length }}`, "", "more than 131072 numbers"},
		{"loops of loops", `{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}`, "", "more than 131072 numbers"},
		{"zero step", `{{ range(1, 5, 0) }}`, "", "step must not be zero"},
		{"no number", `{{ range('a') }}`, "", "not a number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp, err := Parse(c.src, "", "")
			if err != nil {
				t.Fatal(err)
			}
			got, err := tp.Render([]Message{{Role: "user", Content: "hi"}}, Options{})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("render = %q, %v; want an error with %q", got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("render = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
