package config

import (
	"reflect"
	"strings"
)

// Changes names what differs between two configurations, for the audit
// entry of a reload: top-level keys by their YAML name and repositories as
// repositories[owner/name] (added, removed or changed). Values are left
// out on purpose; the file is the record of what they are.
func Changes(old, new *Config) []string {
	var out []string
	ov, nv := reflect.ValueOf(old).Elem(), reflect.ValueOf(new).Elem()
	typ := ov.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "Repositories" {
			continue
		}
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			out = append(out, yamlName(f))
		}
	}
	seen := map[string]bool{}
	for _, r := range old.Repositories {
		key := strings.ToLower(r.Name)
		seen[key] = true
		if j := new.repoIndex(r.Name); j < 0 || !reflect.DeepEqual(r, new.Repositories[j]) {
			out = append(out, "repositories["+r.Name+"]")
		}
	}
	for _, r := range new.Repositories {
		if !seen[strings.ToLower(r.Name)] {
			out = append(out, "repositories["+r.Name+"]")
		}
	}
	return out
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}
