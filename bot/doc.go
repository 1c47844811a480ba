// Package bot is how people talk to ccm in Slack: a Socket Mode loop that
// acks every envelope at once and handles it on a bounded worker pool;
// the Approve and Reject buttons (only the repository's approvers decide,
// one click wins); @ccm mentions (failures, show, why, status, analyze,
// poll, fix, help); the /ccm slash command (threshold, audit, approvals,
// stats, mode, help); and the App Home tab. Slow work goes to asynq; the
// answer follows in the thread, as an ephemeral message or by
// response_url. Everything it reads or writes goes through tasks and state.
package bot
