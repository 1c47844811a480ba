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

// modelAnswerer answers through the analyzer env configures, the way
// `ccm analyze FILE` does (service.ExplainLog: the same record, request,
// evidence check, risk floor and fallback to the rules), parallel logs at
// a time. The figures then say what ccm shows with that model; a log the
// model did not answer is counted (result.fellBack), since the rules
// answered it.
func modelAnswerer(env config.Env, parallel int) (answerer, error) {
	choice := service.ChooseAnalyzer(env, false)
	if !choice.UsesModel() {
		return answerer{}, errors.New("-model: set OPENAI_API_KEY or OPENAI_BASE_URL (and OPENAI_MODEL) to the model to measure")
	}
	if parallel < 1 {
		return answerer{}, fmt.Errorf("-parallel %d: want at least 1", parallel)
	}
	cfg := config.Default()
	opt := service.ExplainOptions{Env: env, Config: cfg}
	one := func(l cilogs.Log) (answer, error) {
		ex, err := excerpt.Extract(strings.NewReader(l.Log), tasks.LogOptions(cfg))
		if err != nil {
			return answer{}, fmt.Errorf("%s: %w", l.ID, err)
		}
		e, err := service.ExplainLog(context.Background(), ex, "", opt)
		if err != nil {
			return answer{}, fmt.Errorf("%s: %w", l.ID, err)
		}
		return answer{reason: e.Record.FailureReason, got: e.Outcome.Analysis, fellBack: e.Outcome.FallbackReason != ""}, nil
	}
	all := func(logs []cilogs.Log) ([]answer, error) {
		out := make([]answer, len(logs))
		errs := make([]error, len(logs))
		sem := make(chan struct{}, parallel)
		var wg sync.WaitGroup
		for i, l := range logs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				out[i], errs[i] = one(l)
			}()
		}
		wg.Wait()
		return out, errors.Join(errs...)
	}
	return answerer{name: choice.String(), all: all}, nil
}
