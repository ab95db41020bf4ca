package main

import "testing"

func TestAdd(t *testing.T) {
	if got := add(2, 3); got != 5 {
		t.Errorf("add(2, 3) = %d; want 5", got)
	}
}

// TestDeliberatelyFails fails on purpose: distill's tests build this module to
// check that a failing test stage stops the pipeline and is reported.
func TestDeliberatelyFails(t *testing.T) {
	t.Fatal("this test fails deliberately: examples/go-app-failing checks that a failing test stage stops the build")
}
