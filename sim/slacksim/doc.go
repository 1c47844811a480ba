// Package slacksim is the shared fake Slack: one loopback server that
// speaks Slack's real wire format to the real slack-go client, used by the
// tests of integrations/slack and bot and by `ccm sandbox`. Like the other
// simulators it imports nothing of ccm and builds its JSON from Slack's
// documented shapes rather than from slack-go's types, so it cannot agree
// with the client by accident.
//
// It has three halves:
//
//   - the Web API under URL() (ends in "/api/", as slack.OptionAPIURL
//     wants): auth.test, apps.connections.open, chat.postMessage,
//     chat.update, chat.delete, chat.postEphemeral, chat.getPermalink,
//     views.open/push/update/publish, usergroups.users.list,
//     conversations.info/list/open and users.info, checked against a bot
//     token (xoxb-) and an app-level token (xapp-);
//   - Socket Mode: the one-time WebSocket URL apps.connections.open hands
//     out, which says hello, pings, delivers envelopes (events_api,
//     slash_commands, interactive, disconnect) and records the acks;
//   - response_url endpoints handed out in payloads, whose posts replace,
//     delete or add messages as Slack does.
//
// A workspace model sits behind them: channels holding messages and thread
// replies (updated in place), ephemeral messages per user, views, users and
// user groups. [Server.Transcript] renders a channel as plain text, the way
// it reads in Slack; [Server.Snapshot] copies the whole workspace for views
// of it, such as the web page package slackui draws (`ccm sandbox
// --slack-ui`).
//
// Typical test:
//
//	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-alerts", "#ci-approvals"}})
//	api := slack.New(sim.Config().BotToken,
//		slack.OptionAppLevelToken(sim.Config().AppToken), slack.OptionAPIURL(sim.URL()))
//	sm := socketmode.New(api)
//	go sm.RunContext(ctx)                     // the code under test
//	_ = sim.WaitConnected(1, 5*time.Second)
//	msg, _ := sim.WaitForMessage("#ci-approvals", func(m slacksim.Message) bool { return true }, 5*time.Second)
//	sent, _ := sim.ClickButton("U1ALICE", "#ci-approvals", msg.TS, "approve")
//	ack, _ := sim.WaitAck(sent.EnvelopeID, 5*time.Second)
//	fmt.Print(sim.Transcript("#ci-approvals"))
//
// Faults: [Server.FailNext] answers the next calls of a method (or any)
// with a 429 and Retry-After, an HTTP error page or a Slack error code;
// [Server.SetLatency] slows answers; [Server.SetChannelPostLimit] turns on
// Slack's per-channel posting limit; [Server.DropConnection] cuts the
// sockets; [Server.SendDisconnect] asks the client to reconnect;
// [Server.Redeliver] repeats an envelope with retry_attempt set, and
// Config.RedeliverAfter makes the server do so on its own, as Slack does
// for an events_api envelope that is not acked.
//
// Every Web API call is recorded ([Server.Calls], [Server.CallsTo],
// [Server.WaitForCalls]); every ack with its latency ([Server.Acks],
// [Server.WaitAck], [Server.WaitAcks], [Percentile]); every response_url
// post ([Server.ResponsePosts]). [Server.WaitUntil] waits for any
// condition. [Server.IssueTriggerID] and [Server.IssueResponseURL] hand
// out what an interaction would, for tests of code that uses them without
// simulating the click.
//
// Trigger IDs expire after 3s, as Slack's do; under -race on a loaded
// machine set Config.TriggerTTL negative unless expiry is under test.
package slacksim
