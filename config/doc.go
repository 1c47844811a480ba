// Package config owns ccm's configuration: secrets and endpoints read from
// the environment (Env), everything else read from one YAML file (Config),
// validated with errors that name every bad field, and reloaded on change
// by a Watcher that hands out immutable snapshots. A bad edit never replaces
// a good configuration.
//
// A *Config is shared between goroutines and must be treated as read-only;
// Clone gives a private copy and For returns per-repository values that
// share nothing with the snapshot.
package config
