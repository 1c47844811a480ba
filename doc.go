// Package ccm is the root of ccm, a service that keeps GitHub Actions CI
// green: it notices failed runs, explains them, fixes the safe ones and asks
// people in Slack before anything risky. The binary lives in cmd/ccm.
package ccm
