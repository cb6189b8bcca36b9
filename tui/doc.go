// Package tui is the terminal topic browser, `streamlite tui`: a bubbletea program over a
// Kafka cluster that shows topics, records, consumer groups, registry schemas and SQL
// queries, with k9s keys (`:` to switch screen, `/` to filter, `?` for help, `esc` back).
//
// The program is a [Model] built by [New] over a [Source], the narrow view of the cluster it
// needs; [FromClient] adapts a tui/cluster Client, and tests drive the model with a fake.
//
// Contract with the caller:
//
//   - Update and View never block: every call to the Source runs in a tea.Cmd with a
//     context timeout ([Options.Timeout]), and its answer comes back as a message tagged
//     with the screen that asked and a request sequence, so an answer for a screen the
//     user has left, or superseded by a newer request, is dropped.
//   - Timers (refreshes every 2 s, retries with backoff 1, 2, 4, 8, 10 s, the re-arming of
//     a records screen's poll) all go through [Options.Tick], so tests can hold and fire
//     them by hand.
//   - A records screen owns one [RecordReader] and has at most one Poll in flight (500
//     records, 200 ms); the reader is closed when the screen is left and by [Model.Close],
//     which the caller runs after the program ends.
//   - Styles come from the lipgloss.Renderer in [Options]; with the Ascii profile the
//     screen is plain text, and the selected row is always marked with "> ".
package tui
