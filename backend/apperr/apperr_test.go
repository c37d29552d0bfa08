package apperr

import (
	"fmt"
	"reflect"
	"testing"
)

func TestProblems(t *testing.T) {
	tests := []struct {
		name       string
		ps         []Problem
		wantNil    bool
		wantMsg    string
		wantFields map[string]string
	}{
		{"none", nil, true, "", nil},
		{"one", []Problem{{"top_p", "top-p must be above 0"}}, false, "top-p must be above 0", map[string]string{"top_p": "top-p must be above 0"}},
		{"two", []Problem{{"temperature", "too hot"}, {"seed", "bad seed"}}, false, "too hot; bad seed",
			map[string]string{"temperature": "too hot", "seed": "bad seed"}},
		{"the first word on a field stays", []Problem{{"threads", "first"}, {"threads", "second"}}, false, "first; second",
			map[string]string{"threads": "first"}},
		{"one message for two fields", []Problem{{"context_size", "not here"}, {"threads", "not here"}}, false, "not here",
			map[string]string{"context_size": "not here", "threads": "not here"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Problems(tt.ps)
			if tt.wantNil {
				if err != nil {
					t.Fatalf("Problems = %v, want nil", err)
				}
				return
			}
			wrapped := fmt.Errorf("save settings: %w", err)
			if CodeOf(wrapped) != Invalid || Message(wrapped) != tt.wantMsg || !reflect.DeepEqual(FieldsOf(wrapped), tt.wantFields) {
				t.Errorf("code %s, message %q, fields %v; want invalid, %q, %v", CodeOf(wrapped), Message(wrapped), FieldsOf(wrapped), tt.wantMsg, tt.wantFields)
			}
		})
	}
	if FieldsOf(New(Invalid, "x")) != nil {
		t.Error("an error without fields has fields")
	}
}

func TestFieldsOfLooksPastAnErrorWithoutFields(t *testing.T) {
	inner := Problems([]Problem{{"seed", "bad seed"}})
	outer := Wrap(Invalid, inner, "could not save")
	if got := FieldsOf(fmt.Errorf("save: %w", outer)); !reflect.DeepEqual(got, map[string]string{"seed": "bad seed"}) {
		t.Errorf("FieldsOf = %v, want the inner error's fields", got)
	}
}
