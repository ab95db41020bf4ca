package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestWithDefaults(t *testing.T) {
	ld := DefaultLDFlags
	custom := "-X main.v=1"
	for _, tc := range []struct {
		name string
		in   *Spec
		want *Spec
	}{
		{
			name: "go",
			in:   &Spec{Name: "app", Build: Build{Go: &GoBuild{}}},
			want: &Spec{
				APIVersion: APIVersion, Name: "app", Source: Source{Path: "."}, Platforms: []string{"linux/amd64"},
				Build:   Build{Image: "go", Go: &GoBuild{Version: "1.26", Main: ".", Binary: "app", LDFlags: &ld}},
				Runtime: Runtime{Base: "static", User: "65532:65532"},
			},
		},
		{
			name: "go with cgo, own binary and empty ldflags",
			in:   &Spec{Name: "app", Build: Build{Go: &GoBuild{CGO: true, Binary: "srv", LDFlags: new(string)}}},
			want: &Spec{
				APIVersion: APIVersion, Name: "app", Source: Source{Path: "."}, Platforms: []string{"linux/amd64"},
				Build:   Build{Image: "go", Go: &GoBuild{Version: "1.26", Main: ".", Binary: "srv", CGO: true, LDFlags: new(string)}},
				Runtime: Runtime{Base: "cc", User: "65532:65532"},
			},
		},
		{
			name: "go keeps what is set",
			in: &Spec{APIVersion: "x", Name: "app", Platforms: []string{"linux/arm64"},
				Build:   Build{Image: "golang:1.26", Go: &GoBuild{Version: "1.25", Main: "./cmd/a", Binary: "a", LDFlags: &custom}},
				Test:    &Test{Go: &GoTest{Packages: []string{"./pkg/..."}}},
				Runtime: Runtime{Base: "base:debug", User: "root"}},
			want: &Spec{APIVersion: "x", Name: "app", Source: Source{Path: "."}, Platforms: []string{"linux/arm64"},
				Build:   Build{Image: "golang:1.26", Go: &GoBuild{Version: "1.25", Main: "./cmd/a", Binary: "a", LDFlags: &custom}},
				Test:    &Test{Go: &GoTest{Packages: []string{"./pkg/..."}}},
				Runtime: Runtime{Base: "base:debug", User: "root"}},
		},
		{
			name: "go test packages",
			in:   &Spec{Name: "app", Build: Build{Go: &GoBuild{}}, Test: &Test{Go: &GoTest{Flags: []string{"-v"}}}},
			want: &Spec{
				APIVersion: APIVersion, Name: "app", Source: Source{Path: "."}, Platforms: []string{"linux/amd64"},
				Build:   Build{Image: "go", Go: &GoBuild{Version: "1.26", Main: ".", Binary: "app", LDFlags: &ld}},
				Test:    &Test{Go: &GoTest{Packages: []string{"./..."}, Flags: []string{"-v"}}},
				Runtime: Runtime{Base: "static", User: "65532:65532"},
			},
		},
		{
			name: "node",
			in:   &Spec{Name: "web", Build: Build{Node: &NodeBuild{}}},
			want: &Spec{
				APIVersion: APIVersion, Name: "web", Source: Source{Path: "."}, Platforms: []string{"linux/amd64"},
				Build:   Build{Image: "node", Node: &NodeBuild{Main: "index.js", Script: "build"}},
				Runtime: Runtime{Base: "nodejs", User: "65532:65532"},
			},
		},
		{
			name: "python",
			in:   &Spec{Name: "py", Build: Build{Python: &PythonBuild{}}},
			want: &Spec{
				APIVersion: APIVersion, Name: "py", Source: Source{Path: "."}, Platforms: []string{"linux/amd64"},
				Build:   Build{Image: "python", Python: &PythonBuild{Main: "main.py", Requirements: "requirements.txt"}},
				Runtime: Runtime{Base: "python3", User: "65532:65532"},
			},
		},
		{
			name: "custom, git source",
			in:   &Spec{Name: "c", Source: Source{Git: &GitSource{URL: "u"}}, Build: Build{Image: "debian"}},
			want: &Spec{
				APIVersion: APIVersion, Name: "c", Source: Source{Git: &GitSource{URL: "u"}}, Platforms: []string{"linux/amd64"},
				Build:   Build{Image: "debian"},
				Runtime: Runtime{Base: "static", User: "65532:65532"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, tc.in)
			got := tc.in.WithDefaults()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("WithDefaults:\n got %s\nwant %s", snapshot(t, got), snapshot(t, tc.want))
			}
			if after := snapshot(t, tc.in); after != before {
				t.Errorf("WithDefaults modified its receiver:\nbefore %s\n after %s", before, after)
			}
			if again := got.WithDefaults(); !reflect.DeepEqual(again, got) {
				t.Errorf("WithDefaults is not idempotent:\n once %s\ntwice %s", snapshot(t, got), snapshot(t, again))
			}
			assertNoSharing(t, "Spec", reflect.ValueOf(tc.in).Elem(), reflect.ValueOf(got).Elem())
		})
	}
}

// TestCloneIsDeep fills every field of a Spec (by reflection, so that new
// fields are covered too), clones it and checks that no pointer, map or slice
// is shared, then mutates the clone and checks the original.
func TestCloneIsDeep(t *testing.T) {
	orig := &Spec{}
	fill(reflect.ValueOf(orig).Elem(), "v")
	before := snapshot(t, orig)

	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("Clone differs:\n got %s\nwant %s", snapshot(t, c), before)
	}
	assertNoSharing(t, "Spec", reflect.ValueOf(orig).Elem(), reflect.ValueOf(c).Elem())

	// Mutations through every kind of reference the Spec holds.
	c.Platforms[0] = "changed"
	c.Args["changed"] = "x"
	c.Source.Exclude[0] = "changed"
	c.Source.Git.URL = "changed"
	*c.Build.Go.LDFlags = "changed"
	c.Build.Go.Tags[0] = "changed"
	c.Build.Go.Main = "changed"
	c.Build.Node.Main = "changed"
	c.Build.Python.Main = "changed"
	c.Build.Env["changed"] = "x"
	c.Build.Steps[0].Command[0] = "changed"
	c.Build.Steps[0].Env["changed"] = "x"
	c.Build.Steps[0].Caches[0].Target = "changed"
	c.Build.Steps[0].Secrets[0].ID = "changed"
	c.Build.Steps[0].SSH[0].ID = "changed"
	c.Build.Steps[1].Run = "changed"
	c.Build.Artifacts[0].From = "changed"
	c.Test.Skip = false
	c.Test.Go.Packages[0] = "changed"
	c.Test.Go.Flags[0] = "changed"
	c.Test.Steps[0].Env["changed"] = "x"
	c.Test.Steps[0].Caches[0].ID = "changed"
	c.Test.Env["changed"] = "x"
	c.Runtime.Entrypoint[0] = "changed"
	c.Runtime.Cmd[0] = "changed"
	c.Runtime.Env["changed"] = "x"
	c.Runtime.Ports[0] = "changed"
	c.Runtime.Labels["changed"] = "x"
	if after := snapshot(t, orig); after != before {
		t.Errorf("changing the clone changed the original:\nbefore %s\n after %s", before, after)
	}
}

func TestCloneKeepsNil(t *testing.T) {
	s := &Spec{Name: "a"}
	c := s.Clone()
	if c.Test != nil || c.Source.Git != nil || c.Build.Go != nil || c.Build.Steps != nil || c.Args != nil {
		t.Errorf("Clone invented values: %s", snapshot(t, c))
	}
}

func snapshot(t *testing.T, s *Spec) string {
	t.Helper()
	dt, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

// fill sets every field reachable from v to a non-zero value: strings to
// prefix plus their path, bools to true, two elements in slices and maps.
func fill(v reflect.Value, prefix string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(prefix)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), prefix)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), prefix+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), fmt.Sprintf("%s[%d]", prefix, i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, fmt.Sprintf("%s.K%d", prefix, i))
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, fmt.Sprintf("%s.V%d", prefix, i))
			v.SetMapIndex(k, e)
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

// assertNoSharing fails when a and b (of the same type) share the memory of
// a pointer, map or non-empty slice.
func assertNoSharing(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: pointer shared", path)
			return
		}
		assertNoSharing(t, path, a.Elem(), b.Elem())
	case reflect.Map:
		if !a.IsNil() && !b.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: map shared", path)
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: slice shared", path)
			return
		}
		for i := range min(a.Len(), b.Len()) {
			assertNoSharing(t, fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i))
		}
	case reflect.Struct:
		for i := range a.NumField() {
			assertNoSharing(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	}
}

func TestWithOverrides(t *testing.T) {
	s := &Spec{Name: "app", Platforms: []string{"linux/amd64"}, Scan: &Scan{Stages: []string{"build"}}}
	got := s.With(Overrides{Platforms: []string{"linux/arm64"}, ScanStages: []string{"build", "test"}})
	if strings.Join(got.Platforms, ",") != "linux/arm64" || strings.Join(got.Scan.Stages, ",") != "build,test" || got.Scan.Skip {
		t.Errorf("With: %+v %+v", got.Platforms, got.Scan)
	}
	if s.Platforms[0] != "linux/amd64" || len(s.Scan.Stages) != 1 {
		t.Errorf("With changed the original: %+v %+v", s.Platforms, s.Scan)
	}
	if off := (&Spec{Name: "app"}).With(Overrides{NoScan: true}); off.Scan == nil || !off.Scan.Skip {
		t.Errorf("NoScan: %+v", off.Scan)
	}
	if same := s.With(Overrides{}); same == s || strings.Join(same.Platforms, ",") != "linux/amd64" {
		t.Error("With without overrides must return an unchanged copy")
	}
}
