package kafka

import (
	"reflect"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// apiRange is the versions of one API the broker serves.
type apiRange struct{ min, max int16 }

// supportedAPIs lists every API served and its version range. Floors are no higher than Kafka
// 4.0's (KIP-896); ceilings are Kafka 4.0's, which every current client can negotiate down from.
var supportedAPIs = map[int16]apiRange{
	kmsg.Produce.Int16():                 {3, 12},
	kmsg.Fetch.Int16():                   {4, 17},
	kmsg.ListOffsets.Int16():             {1, 10},
	kmsg.Metadata.Int16():                {0, 13},
	kmsg.ApiVersions.Int16():             {0, 4},
	kmsg.CreateTopics.Int16():            {2, 7},
	kmsg.DeleteTopics.Int16():            {1, 6},
	kmsg.DeleteRecords.Int16():           {0, 2},
	kmsg.InitProducerID.Int16():          {0, 5},
	kmsg.AddPartitionsToTxn.Int16():      {0, 3},
	kmsg.AddOffsetsToTxn.Int16():         {0, 4},
	kmsg.EndTxn.Int16():                  {0, 4},
	kmsg.TxnOffsetCommit.Int16():         {0, 4},
	kmsg.DescribeTransactions.Int16():    {0, 0},
	kmsg.ListTransactions.Int16():        {0, 1},
	kmsg.OffsetForLeaderEpoch.Int16():    {2, 4},
	kmsg.DescribeConfigs.Int16():         {1, 4},
	kmsg.AlterConfigs.Int16():            {0, 2},
	kmsg.DescribeLogDirs.Int16():         {1, 4},
	kmsg.CreatePartitions.Int16():        {0, 3},
	kmsg.IncrementalAlterConfigs.Int16(): {0, 1},
	kmsg.DescribeCluster.Int16():         {0, 1},
	kmsg.DescribeProducers.Int16():       {0, 0},
	kmsg.OffsetCommit.Int16():            {0, 9},
	kmsg.OffsetFetch.Int16():             {0, 9},
	kmsg.FindCoordinator.Int16():         {0, 6},
	kmsg.JoinGroup.Int16():               {0, 9},
	kmsg.Heartbeat.Int16():               {0, 4},
	kmsg.LeaveGroup.Int16():              {0, 5},
	kmsg.SyncGroup.Int16():               {0, 5},
	kmsg.DescribeGroups.Int16():          {0, 5},
	kmsg.ListGroups.Int16():              {0, 5},
	kmsg.DeleteGroups.Int16():            {0, 2},
	kmsg.OffsetDelete.Int16():            {0, 0},
	kmsg.ConsumerGroupHeartbeat.Int16():  {0, 1},
	kmsg.ConsumerGroupDescribe.Int16():   {0, 1},
}

func versionSupported(key, version int16) bool {
	r, ok := supportedAPIs[key]
	return ok && version >= r.min && version <= r.max
}

// setErrorCodes sets every ErrorCode field in resp, at any depth, to code. It answers requests
// the broker decodes but does not serve with an error the client can read, whatever the shape
// of the response.
func setErrorCodes(resp kmsg.Response, code int16) {
	setErrorCodesValue(reflect.ValueOf(resp), code)
}

func setErrorCodesValue(v reflect.Value, code int16) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			setErrorCodesValue(v.Elem(), code)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if v.Type().Field(i).Name == "ErrorCode" && f.Kind() == reflect.Int16 && f.CanSet() {
				f.SetInt(int64(code))
				continue
			}
			setErrorCodesValue(f, code)
		}
	case reflect.Slice:
		for i := range v.Len() {
			setErrorCodesValue(v.Index(i), code)
		}
	}
}
