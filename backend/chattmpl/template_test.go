package chattmpl

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// chatml is a small ChatML template in the style real ones are written.
const chatml = `{%- for message in messages %}
{{- '<|im_start|>' + message.role + '\n' + message.content | trim + '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\n' }}
{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\n\n</think>\n\n' }}{% endif %}
{%- endif %}
`

// strict rejects a system prompt and turns that do not alternate, as
// Gemma's template does.
const strict = `{{ bos_token }}{% for message in messages %}
{% if message.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}
{% if (message.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}
<turn>{{ message.role }}
{{ message.content }}</turn>
{% endfor %}
{% if add_generation_prompt %}<turn>model
{% endif %}`

func TestRenderSmallTemplates(t *testing.T) {
	no, yes := false, true
	now := time.Date(2024, 7, 26, 9, 5, 0, 0, time.UTC)
	cases := []struct {
		name, src, bos, eos string
		msgs                []Message
		opts                Options
		want                string
	}{
		{"chatml with generation prompt", chatml, "", "<|im_end|>",
			[]Message{{"system", "Be brief."}, {"user", "  Hi  "}}, Options{AddGenerationPrompt: true},
			"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{"chatml without generation prompt", chatml, "", "",
			[]Message{{"user", "Hi"}, {"assistant", "Hello"}}, Options{},
			"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n"},
		{"enable_thinking false closes the block", chatml, "", "",
			[]Message{{"user", "Hi"}}, Options{AddGenerationPrompt: true, EnableThinking: &no},
			"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"},
		{"enable_thinking true leaves it to the model", chatml, "", "",
			[]Message{{"user", "Hi"}}, Options{AddGenerationPrompt: true, EnableThinking: &yes},
			"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{"bos and eos tokens", "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}", "<s>", "</s>",
			[]Message{{"user", "x"}}, Options{}, "<s>x</s>"},
		{"no bos token leaves it undefined", "{% if bos_token is defined %}B{% endif %}{{ messages[0].content }}", "", "",
			[]Message{{"user", "x"}}, Options{}, "x"},
		{"tools and documents are none", "{% if tools is defined and tools is none and documents is none %}none{% endif %}", "", "",
			[]Message{{"user", "x"}}, Options{}, "none"},
		{"strftime_now", `{{ strftime_now("%d %b %Y") }}|{{ strftime_now("%B %d, %Y %H:%M") }}`, "", "",
			[]Message{{"user", "x"}}, Options{Now: now}, "26 Jul 2024|July 26, 2024 09:05"},
		{"one trailing newline of the source is dropped", "{{ messages[0].content }}\n", "", "",
			[]Message{{"user", "x"}}, Options{}, "x"},
		{"trim_blocks and lstrip_blocks", "{% for m in messages %}\n    {% if m.role == 'user' %}\n[{{ m.content }}]\n    {% endif %}\n{% endfor %}", "", "",
			[]Message{{"user", "a"}, {"user", "b"}}, Options{}, "[a]\n[b]\n"},
		{"literal braces in content stay text", "{{ messages[0].content }}", "", "",
			[]Message{{"user", "{{ x }} {% raw %}"}}, Options{}, "{{ x }} {% raw %}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmpl, err := Parse(c.src, c.bos, c.eos)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Render(c.msgs, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestParseError(t *testing.T) {
	for _, src := range []string{"{% for m in messages %}", "{{ messages[0].content ", "{% if x %}{% endfor %}"} {
		if _, err := Parse(src, "", ""); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", src)
		}
	}
}

func TestRenderChatAdapts(t *testing.T) {
	no := false
	cases := []struct {
		name    string
		src     string
		msgs    []Message
		opts    Options
		want    string
		adapted []string
		opened  string
	}{
		{"accepted as it is", strict, []Message{{"user", "Hi"}}, Options{AddGenerationPrompt: true},
			"<bos><turn>user\nHi</turn>\n<turn>model\n", nil, ""},
		{"system prompt folded into the first user turn", strict,
			[]Message{{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}}, Options{},
			"<bos><turn>user\nBe brief.\n\nHi</turn>\n<turn>assistant\nHello</turn>\n<turn>user\nBye</turn>\n",
			[]string{AdaptSystemFolded}, ""},
		{"two user turns merged", strict, []Message{{"user", "One."}, {"user", "Two."}}, Options{},
			"<bos><turn>user\nOne.\n\nTwo.</turn>\n", []string{AdaptTurnsMerged}, ""},
		{"both", strict, []Message{{"system", "S"}, {"user", "One."}, {"user", "Two."}}, Options{},
			"<bos><turn>user\nS\n\nOne.\n\nTwo.</turn>\n", []string{AdaptSystemFolded, AdaptTurnsMerged}, ""},
		{"a generation prompt that opens thinking", "{{ messages[0].content }}{{ '<|Assistant|><think>\\n' }}", []Message{{"user", "Q"}},
			Options{AddGenerationPrompt: true}, "Q<|Assistant|><think>\n", nil, "<think>"},
		{"thinking turned off closes the block", chatml, []Message{{"user", "Q"}}, Options{AddGenerationPrompt: true, EnableThinking: &no},
			"<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", nil, ""},
		{"a reply being continued ends with its text", chatml, []Message{{"user", "Hi"}, {"assistant", "Once upon"}},
			Options{AddGenerationPrompt: true}, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nOnce upon", nil, ""},
		{"a finished conversation without a generation prompt", chatml, []Message{{"user", "Hi"}, {"assistant", "Once upon"}},
			Options{}, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nOnce upon<|im_end|>\n", nil, ""},
		{"/no_think where the template knows it", "{# supports /no_think #}{{ messages[-1].content }}", []Message{{"user", "Q "}},
			Options{EnableThinking: &no}, "Q /no_think", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmpl, err := Parse(c.src, "<bos>", "<eos>")
			if err != nil {
				t.Fatal(err)
			}
			p, err := tmpl.RenderChat(c.msgs, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if p.Text != c.want {
				t.Errorf("text %q\nwant %q", p.Text, c.want)
			}
			if !slices.Equal(p.Adapted, c.adapted) {
				t.Errorf("adapted %v, want %v", p.Adapted, c.adapted)
			}
			if (p.Note() != "") != (len(c.adapted) > 0) {
				t.Errorf("note %q for adaptations %v", p.Note(), c.adapted)
			}
			if p.ThinkOpened != c.opened {
				t.Errorf("ThinkOpened %q, want %q", p.ThinkOpened, c.opened)
			}
		})
	}
}

func TestRenderChatKeepsOtherErrors(t *testing.T) {
	tmpl, err := Parse("{{ raise_exception('Only user messages') }}", "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.RenderChat([]Message{{"user", "x"}}, Options{})
	var te *TemplateError
	if !errors.As(err, &te) || te.Message != "Only user messages" {
		t.Errorf("err %v, want the template's own error", err)
	}
	// A runtime failure that is not the template's own raise is an error too.
	tmpl, err = Parse("{{ messages | nosuchfilter }}", "", "")
	if err == nil {
		if _, err = tmpl.RenderChat([]Message{{"user", "x"}}, Options{}); err == nil || errors.As(err, &te) {
			t.Errorf("err %v, want a render error", err)
		}
	}
}

func TestThinkSwitch(t *testing.T) {
	cases := []struct {
		src       string
		sw        Switch
		reasoning bool
	}{
		{chatml, SwitchFlag, true},
		{"{% if '/no_think' in messages[0].content %}{% endif %}</think>", SwitchNoThink, true},
		{"{{ message.content.split('</think>')[-1] }}", SwitchNone, true},
		{"<|start|>assistant<|channel|>final<|message|>", SwitchNone, true},
		{"{{ bos_token }}{{ messages[0].content }}", SwitchNone, false},
	}
	for _, c := range cases {
		tmpl, err := Parse(c.src, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := tmpl.ThinkSwitch(); got != c.sw {
			t.Errorf("%q: switch %q, want %q", c.src, got, c.sw)
		}
		if got := tmpl.Reasoning(); got != c.reasoning {
			t.Errorf("%q: reasoning %v, want %v", c.src, got, c.reasoning)
		}
	}
}

func TestStrftime(t *testing.T) {
	at := time.Date(2025, 3, 8, 15, 4, 5, 0, time.UTC)
	cases := map[string]string{
		"%Y-%m-%d":    "2025-03-08",
		"%d %b %Y":    "08 Mar 2025",
		"%B %d, %Y":   "March 08, 2025",
		"%A %a %j":    "Saturday Sat 067",
		"%I:%M %p %S": "03:04 PM 05",
		"100%% %q":    "100% %q",
		"%y%e":        "25 8",
	}
	for f, want := range cases {
		if got := strftime(at, f); got != want {
			t.Errorf("strftime(%q) = %q, want %q", f, got, want)
		}
	}
	if got := strings.Count(strftime(at, "%"), "%"); got != 1 {
		t.Errorf("a lone %% became %q", strftime(at, "%"))
	}
}
