package qtt

import "strings"

// CategoryOther is the category of a file whose stem is not in the built-in
// table, so that unseen case directories still run and report.
const CategoryOther = "other"

// Category returns the feature category of a QTT file from its name (with or
// without ".json"), as assigned in the corpus manifest: ksqlDB organizes its
// test files by feature, so the file decides the category. Unknown stems are
// CategoryOther. The table is built into the code; the manifest is not read
// at run time.
func Category(file string) string {
	stem := strings.TrimSuffix(file, ".json")
	if c, ok := categoryOf(stem); ok {
		return c
	}
	return CategoryOther
}

// categoryOf holds the table as a switch so that there is no package-level
// mutable map.
func categoryOf(stem string) (string, bool) {
	switch stem {
	case "attr", "average", "average-udaf", "collect-list", "collect-set", "correlation-udaf", "count", "count-distinct", "earliest-offset-udaf", "histogram", "latest-offset-udaf", "max-group-by", "min-group-by", "standarddeviation", "sum", "topk-distinct", "topk-group-by", "udaf":
		return "aggregates", true
	case "bytes", "bytes-and-strings", "bytes-lpad-rpad", "decimal":
		return "bytes_decimal", true
	case "case-expression":
		return "case_expression", true
	case "cast":
		return "cast", true
	case "array", "array-min-max-sort", "array-remove", "array-set-functions", "arraycontains", "arrayindex", "arrayjoin", "as_value", "create-struct", "create_array", "create_map", "elements", "map", "more-complex-struct", "select-struct-all", "simple-struct", "slice", "split-to-map", "struct-udfs":
		return "complex_types", true
	case "generic-variadic-udaf", "middle-variadic-udaf", "multi-arg-udaf", "obj-var-col-arg-udaf", "test-custom-udaf", "udf", "udf-implicit-cast", "variadic-udaf":
		return "custom_udf", true
	case "convert-tz", "date", "dateadd", "datestring", "datesub", "format-time", "from-days", "from-unixtime", "stringdate", "stringtimestamp", "time", "timeadd", "timestamp", "timestamp-to-string", "timestampadd", "timestampformat", "timestampsub", "timesub", "unix-date", "unix-timestamp":
		return "datetime_functions", true
	case "asserts", "create-type", "drop_source", "identifiers", "quoted-identifiers", "sink-partitions-replicas", "sink-topic-naming", "source-stream", "source-table", "table":
		return "ddl_sources", true
	case "avro", "delimited", "formats", "json", "json_sr", "kafka", "key-schemas", "multiple-avro-maps", "none", "protobuf", "serdes":
		return "formats_serde", true
	case "group-by", "having", "multi-col-keys":
		return "group_by", true
	case "headers":
		return "headers", true
	case "insert-into":
		return "insert_into", true
	case "fk-join", "fk-n-way-join", "join-with-custom-timestamp", "joins", "multi-joins", "stream-table-join", "table-table-join":
		return "joins", true
	case "extract-json-field", "is_json_string", "json_array_contains", "json_array_length", "json_concat", "json_items", "json_keys", "json_records", "to_json_string":
		return "json_functions", true
	case "complex-lambda", "reduce-array", "reduce-map", "transform-array", "transform-map":
		return "lambdas", true
	case "partition-by":
		return "partition_by", true
	case "between", "binary-arithmetic", "binary-comparison", "comparison-expression", "filter", "floating-point", "in", "like", "literals", "null", "operators", "project-filter", "select", "where":
		return "projection_filter", true
	case "row-offset-and-partition", "system-columns":
		return "pseudocolumns", true
	case "geodistance", "greatest", "least", "math":
		return "scalar_math", true
	case "concat", "elt-field", "encode", "initcap", "instr", "len", "md5", "regex", "replace", "split", "string", "string-lpad-rpad", "substring", "url":
		return "string_functions", true
	case "cube", "explode", "table-functions":
		return "table_functions", true
	case "magic-timestamp-conversion", "timestamp-extractor":
		return "timestamps", true
	case "hopping-windows", "session-windows", "suppress", "tumbling-windows", "window-bounds", "windowed-source":
		return "windows", true
	}
	return "", false
}
