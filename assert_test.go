package hub_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func equal[T any](t testing.TB, name string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v; want %#v", name, got, want)
	}
}

func success(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func errorIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("got error %v; want one wrapping %v", err, target)
	}
}

func hasPrefix(t testing.TB, name, got, prefix string) {
	t.Helper()
	if !strings.HasPrefix(got, prefix) {
		t.Errorf("%s: got %q; want prefix %q", name, got, prefix)
	}
}
