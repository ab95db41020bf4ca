package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/distill-dev/distill/internal/rootfs"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// Every runnable command documents itself with examples.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no Example", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%q has no Short description", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			if !sub.Hidden && sub.Name() != "help" && sub.Name() != "completion" {
				walk(sub)
			}
		}
	}
	walk(newRootCmd())
}

func TestHelpShowsExamples(t *testing.T) {
	out, err := run(t, "base", "build", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"distill base build static --output oci:out/static", "--locked", "--debian-mirror"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

func TestBaseListNamesEveryFlavour(t *testing.T) {
	out, err := run(t, "base", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rootfs.Flavours() {
		if !strings.Contains(out, f.Name) {
			t.Errorf("base list lacks %s:\n%s", f.Name, out)
		}
	}
	if !strings.Contains(out, "debconf") {
		t.Errorf("base list does not explain the omitted maintainer-script dependencies:\n%s", out)
	}
}

func TestBaseBuildRejectsBadInputBeforeWork(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"base", "build", "static"}, `required flag(s) "output" not set`},
		{[]string{"base", "build", "static", "--output", "zip:x"}, "want oci:DIR, tar:FILE, docker:FILE or image:REF"},
		{[]string{"base", "build", "static", "--output", "oci:x", "--source-date-epoch", "yesterday"}, "--source-date-epoch"},
		{[]string{"base", "build"}, "accepts 1 arg"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
