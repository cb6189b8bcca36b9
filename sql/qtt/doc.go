// Package qtt runs ksqlDB query-validation tests (QTT) against a streamlite SQL
// engine and scores the results. It knows nothing about any engine: an engine
// plugs in through the Engine interface and a Factory that makes a fresh one
// for every run.
//
// The harness follows shared/notes/ksql-qtt.md §4 and the corpus README
// ("How a runner should interpret a QTT case"). For every run Run does, in
// order:
//
//  1. Load every *.json file of the case directory (the directory itself, or
//     its query-validation-tests/ subfolder when there is one) as strict JSON
//     with numbers kept as json.Number, and expand each case's `format` and
//     `config` matrices into runs named
//     "<file> :: <name>[ - FORMAT][ - prop=value]".
//  2. Call the Factory with DefaultProperties overlaid by the case's
//     properties, and the case's topic set-up.
//  3. Execute each statement in order ({FORMAT} already substituted).
//  4. Produce each input record in file order, then call Drain once.
//  5. For every topic named in `outputs`, read Output and compare record by
//     record (see Compare for the rules), then check `post` conditions
//     (scored separately, see CheckPost).
//  6. Close the engine.
//
// A case with `expectedException` passes (leniently) when a statement, or
// processing, fails in the phase its exception type names; it also counts as
// a strict pass when the error text contains the expected message. Engines
// classify errors with *Error (or any error implementing PhaseError); an
// unclassified error counts as PhaseStatement when Execute returned it and as
// PhaseRuntime when Produce or Drain did.
//
// Each run has a time limit (Options.Timeout, 10 s by default). Engines must
// honour the context they are given; a run that overstays its limit is
// reported as a timeout and abandoned.
//
// RunRest does the same for ksqlDB's REST query-validation tests (RQTT,
// the rest-query-validation-tests/ folder) against a server behind
// ksqlDB's REST API, plugged in as a RestEngine made by a RestFactory; its
// doc gives the order of a run and how responses and expected errors are
// scored. Its report has the same shape, its lines starting with "RQTT".
package qtt
