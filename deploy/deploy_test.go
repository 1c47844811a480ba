// Package deploy holds the example deployment manifests; its tests keep
// them in step with what ccm reads and serves.
package deploy

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/ccm-ci/ccm/config"
)

type manifest struct {
	Kind string `yaml:"kind"`
	Data map[string]string
	Spec struct {
		Template struct {
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Args          []string
					LivenessProbe struct {
						HTTPGet struct{ Path string } `yaml:"httpGet"`
					} `yaml:"livenessProbe"`
					ReadinessProbe struct {
						HTTPGet struct{ Path string } `yaml:"httpGet"`
					} `yaml:"readinessProbe"`
					Resources struct {
						Requests map[string]string
						Limits   map[string]string
					}
				}
			}
		}
	}
}

func loadManifests(t *testing.T, path string) map[string]manifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]manifest{}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var m manifest
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[m.Kind] = m
	}
	return out
}

// TestKubernetesExample checks the example manifest against ccm itself: its
// config validates, the secret it tells you to create holds variables ccm
// reads, the probes hit ccm's endpoints, and the grace period covers the
// shutdown drain.
func TestKubernetesExample(t *testing.T) {
	const path = "kubernetes/ccm.yaml"
	ms := loadManifests(t, path)
	cm, ok := ms["ConfigMap"]
	if !ok {
		t.Fatal("no ConfigMap")
	}
	if _, err := config.Parse([]byte(cm.Data["ccm.yaml"])); err != nil {
		t.Errorf("ConfigMap ccm.yaml does not validate: %v", err)
	}

	raw, _ := os.ReadFile(path)
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`--from-literal=([A-Z_]+)=(\S+)`).FindAllStringSubmatch(string(raw), -1) {
		env[m[1]] = m[2]
	}
	if len(env) < 5 {
		t.Fatalf("secret literals found: %v", env)
	}
	env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
	env["OPENAI_API_KEY"] = "sk-example"
	if _, err := config.ParseEnv(env); err != nil {
		t.Errorf("the secret's variables do not parse: %v", err)
	}
	for k := range env {
		if !strings.Contains(envDoc(t), k) {
			t.Errorf("secret key %s is not a variable ccm documents", k)
		}
	}

	if !strings.Contains(string(raw), "secretKeyRef: {name: ccm, key: REDIS_URL}") {
		t.Error("REDIS_URL is not required from the secret: a replica without it would run an embedded Redis of its own")
	}

	dep, ok := ms["Deployment"]
	if !ok || len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("no Deployment with one container")
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("probes %q / %q, want /healthz and /readyz", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path)
	}
	if c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want memory requests and limits", c.Resources)
	}
	shutdown := 30 * time.Second
	for i, a := range c.Args {
		if a == "--shutdown-timeout" && i+1 < len(c.Args) {
			d, err := time.ParseDuration(c.Args[i+1])
			if err != nil {
				t.Fatalf("--shutdown-timeout %q: %v", c.Args[i+1], err)
			}
			shutdown = d
		}
	}
	grace := time.Duration(dep.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	if grace < shutdown+15*time.Second {
		t.Errorf("terminationGracePeriodSeconds %s < shutdown timeout %s + 15s", grace, shutdown)
	}
}

// envDoc is the list of variables ccm documents in its example config.
func envDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../ccm.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
