package transfer

import (
	"encoding/json"
	"testing"
)

func TestForeignInstructions(t *testing.T) {
	cases := []struct {
		name, conv, want string
	}{
		{"the user's own words", `{"current_node": "u", "mapping": {
			"c": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_profile": "wrapped", "user_instructions": "wrapped"},
				"metadata": {"user_context_message_data": {"about_user_message": " I teach. ", "about_model_message": "Be brief."}}}, "children": ["u"]},
			"u": {"parent": "c", "message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi"]}}}}}`,
			"About the user:\nI teach.\n\nBe brief."},
		{"only how to respond", `{"current_node": "c", "mapping": {
			"c": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context"},
				"metadata": {"user_context_message_data": {"about_user_message": "", "about_model_message": "Be brief."}}}}}}`,
			"Be brief."},
		{"an older export: the wrapped text only", `{"current_node": "c", "mapping": {
			"c": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_profile": "Profile: I teach.", "user_instructions": ""}}}}}`,
			"Profile: I teach."},
		{"fields of other types: none, and no refusal", `{"current_node": "c", "mapping": {
			"c": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_profile": 5, "user_instructions": {"a": 1}},
				"metadata": {"user_context_message_data": "text"}}}}}`, ""},
		{"the user's words of another type: the wrapped text", `{"current_node": "c", "mapping": {
			"c": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_instructions": "Be brief."},
				"metadata": {"user_context_message_data": {"about_user_message": 3, "about_model_message": null}}}}}}`, "Be brief."},
		{"none", `{"current_node": "u", "mapping": {
			"u": {"message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi"]}}}}}`, ""},
		{"the current branch's, not another's", `{"current_node": "b", "mapping": {
			"a": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_instructions": "from a"}}},
			"b": {"parent": "z", "message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi"]}}},
			"z": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_instructions": "from z"}}}}}`,
			"from z"},
		{"on other branches only: the first by id", `{"current_node": "u", "mapping": {
			"y": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_instructions": "from y"}}},
			"x": {"message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_instructions": "from x"}}},
			"u": {"message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi"]}}}}}`,
			"from x"},
		{"a loop in the parents", `{"current_node": "a", "mapping": {
			"a": {"parent": "b", "message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi"]}}},
			"b": {"parent": "a", "message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context", "user_instructions": "from b"}}}}}`,
			"from b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var conv gptConversation
			if err := json.Unmarshal([]byte(c.conv), &conv); err != nil {
				t.Fatal(err)
			}
			contexts := map[string]string{}
			for id, n := range conv.Mapping {
				if text := gptInstructions(n.Message); text != "" {
					contexts[id] = text
				}
			}
			if got := chooseInstructions(conv, contexts); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}

	owu := []struct {
		name, params, system, want string
	}{
		{"params.system", `{"system": "You are a baker.", "temperature": 0.2}`, ``, "You are a baker."},
		{"the older system", ``, `" Be kind. "`, "Be kind."},
		{"params first", `{"system": "new"}`, `"old"`, "new"},
		{"an empty prompt falls back", `{"system": "  "}`, `"old"`, "old"},
		{"not a string", `{"system": 3}`, `{"a": 1}`, ""},
		{"params not an object", `[1, 2]`, `null`, ""},
		{"none", ``, ``, ""},
	}
	for _, c := range owu {
		t.Run("Open WebUI/"+c.name, func(t *testing.T) {
			if got := owuInstructions(json.RawMessage(c.params), json.RawMessage(c.system)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
