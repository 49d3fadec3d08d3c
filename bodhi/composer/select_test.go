package composer

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectModules(t *testing.T) {
	t.Parallel()
	b := func(name, stream string, v uint64, ctx string) ModuleBuild {
		return ModuleBuild{Name: name, Stream: stream, Version: v, Context: ctx}
	}
	release := []ModuleBuild{
		b("nodejs", "8", 1, "aaaa"), b("nodejs", "8", 3, "aaaa"), b("nodejs", "8", 2, "bbbb"),
		b("nodejs", "10", 5, "aaaa"), b("perl", "5.26", 7, "cccc"), b("perl", "5.26", 7, "dddd"),
	}
	for _, tc := range []struct {
		name   string
		pushed []ModuleBuild
		want   []string
	}{
		{"highest per stream", nil, []string{"nodejs:10:5:aaaa", "nodejs:8:3:aaaa", "perl:5.26:7:dddd"}},
		{"pushed overrides", []ModuleBuild{b("nodejs", "8", 2, "bbbb")}, []string{"nodejs:10:5:aaaa", "nodejs:8:2:bbbb", "perl:5.26:7:dddd"}},
		{"two pushed of one stream", []ModuleBuild{b("nodejs", "8", 2, "bbbb"), b("nodejs", "8", 1, "aaaa")}, []string{"nodejs:10:5:aaaa", "nodejs:8:2:bbbb", "perl:5.26:7:dddd"}},
		{"pushed new stream", []ModuleBuild{b("ruby", "2.5", 1, "eeee")}, []string{"nodejs:10:5:aaaa", "nodejs:8:3:aaaa", "perl:5.26:7:dddd", "ruby:2.5:1:eeee"}},
	} {
		var got []string
		for _, m := range SelectModules(release, tc.pushed) {
			got = append(got, m.NSVC())
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestUpdateInfo(t *testing.T) {
	t.Parallel()
	got, err := UpdateInfo([]Advisory{{ID: "FEDORA-MODULAR-2017-0123456789", Title: "nodejs-8", Type: "security", Status: "stable",
		Severity: "Important", Release: "Fedora 27 Modular", Description: "a <b> & c",
		Collections: []Collection{{Short: "F27M", Name: "Fedora 27 Modular",
			Module:   &Module{Name: "nodejs", Stream: "8", Version: 20171101000000, Context: "6c81f848", Arch: "x86_64"},
			Packages: []Package{{Name: "nodejs", Version: "8.9.1", Release: "1.module_1", Arch: "x86_64", Filename: "nodejs-8.9.1-1.module_1.x86_64.rpm", RebootSuggested: true}}}},
		Bugs: []Reference{{Href: "https://bugzilla.redhat.com/1", ID: "1", Type: "bugzilla"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<update from="" status="stable" type="security" version="2.0">`,
		`<module name="nodejs" stream="8" version="20171101000000" context="6c81f848" arch="x86_64"></module>`,
		`<package name="nodejs" version="8.9.1" release="1.module_1" epoch="0" arch="x86_64">`,
		`<reboot_suggested></reboot_suggested>`,
		`<description>a &lt;b&gt; &amp; c</description>`,
		`<collection short="F27M">`,
		`<reference href="https://bugzilla.redhat.com/1" id="1" type="bugzilla"></reference>`,
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("updateinfo lacks %s:\n%s", want, got)
		}
	}
	if _, err := UpdateInfo([]Advisory{{ID: "X", Collections: []Collection{{Module: &Module{Name: "a"}}}}}); err == nil || !strings.Contains(err.Error(), "advisory X") {
		t.Errorf("incomplete module: err = %v", err)
	}
}
