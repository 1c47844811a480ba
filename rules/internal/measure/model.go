package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/tasks"
)

// modelFromEnv is modelAnswerer for the environment and config file `ccm
// analyze` would read: configPath, else $CCM_CONFIG, else the defaults.
func modelFromEnv(configPath string, parallel int) (answerer, error) {
	env, err := config.LoadEnv()
	if err != nil {
		return answerer{}, fmt.Errorf("-model: %w", err)
	}
	if configPath == "" {
		configPath = env.ConfigPath
	}
	cfg := config.Default()
	if configPath != "" {
		if cfg, err = config.Load(configPath); err != nil {
			return answerer{}, fmt.Errorf("-model: %w", err)
		}
	}
	return modelAnswerer(env, cfg, parallel)
}

// modelAnswerer answers through the analyzer env and cfg configure, the
// way `ccm analyze FILE` does (service.ExplainLog: the same record,
// request, evidence check, risk floor and fallback to the rules),
// parallel logs at a time. The figures then say what ccm shows with that
// model; a log the model did not answer is counted (result.fellBack),
// since the rules answered it. The first error stops the set: its other
// logs are not sent.
func modelAnswerer(env config.Env, cfg *config.Config, parallel int) (answerer, error) {
	choice := service.ChooseAnalyzer(env, false)
	if !choice.UsesModel() {
		return answerer{}, errors.New("-model: set OPENAI_API_KEY or OPENAI_BASE_URL (and OPENAI_MODEL) to the model to measure")
	}
	if parallel < 1 {
		return answerer{}, fmt.Errorf("-parallel %d: want at least 1", parallel)
	}
	// What would fail for every log (a malformed base URL) fails here once.
	if _, _, err := service.NewAnalyzer(env, cfg, service.AnalyzerOptions{}); err != nil {
		return answerer{}, fmt.Errorf("-model: %w", err)
	}
	opt := service.ExplainOptions{Env: env, Config: cfg}
	one := func(ctx context.Context, l cilogs.Log) (answer, error) {
		ex, err := excerpt.Extract(strings.NewReader(l.Log), tasks.LogOptions(cfg))
		if err != nil {
			return answer{}, fmt.Errorf("%s: %w", l.ID, err)
		}
		e, err := service.ExplainLog(ctx, ex, "", opt)
		if err != nil {
			return answer{}, fmt.Errorf("%s: %w", l.ID, err)
		}
		return answer{reason: e.Record.FailureReason, got: e.Outcome.Analysis, fellBack: e.Outcome.FallbackReason}, nil
	}
	all := func(logs []cilogs.Log) ([]answer, error) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := make([]answer, len(logs))
		var (
			mu    sync.Mutex
			first error
			wg    sync.WaitGroup
		)
		sem := make(chan struct{}, parallel)
		for i, l := range logs {
			sem <- struct{}{}
			if ctx.Err() != nil {
				<-sem
				break
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				a, err := one(ctx, l)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
					return
				}
				out[i] = a
			}()
		}
		wg.Wait()
		return out, first
	}
	return answerer{name: choice.String(), model: true, all: all}, nil
}
