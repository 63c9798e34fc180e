package expr

import (
	"fmt"
	"strconv"

	"baton/internal/mqtt"
)

// mqtt_is_valid and mqtt_field_value read the first MQTT packet of a
// payload (package mqtt). Like HAProxy's, they decide themselves whether
// their answer may change: a packet the buffer cuts short is "may
// change" (the rules wait for more bytes until the inspect delay ends),
// a whole one is final even though the payload fetch could still grow.

func init() {
	RegisterConv(&Conv{Name: "mqtt_is_valid", In: Bin, Out: Bool, OwnsMayChange: true, Eval: mqttIsValid})
	RegisterConv(&Conv{Name: "mqtt_field_value", Args: []ArgType{ArgStr, ArgStr}, MinArgs: 2, In: Bin, Out: Str,
		OwnsMayChange: true, Check: checkMQTTField, Eval: mqttFieldValue})
}

func mqttIsValid(_ *Ctx, _ []Arg, s *Sample) bool {
	switch mqtt.Validate(s.Bytes) {
	case mqtt.NeedMore:
		s.MayChange = true
		return false
	case mqtt.Valid:
		s.SetBool(true)
	default:
		s.SetBool(false)
	}
	return true
}

// checkMQTTField resolves the packet type into a[0].Int and the field
// into a[1].Int, with HAProxy's messages.
func checkMQTTField(a []Arg, _ *Env) error {
	t, ok := mqtt.ParseType(a[0].Str)
	if !ok {
		return fmt.Errorf("Unknown MQTT type '%s'", a[0].Str)
	}
	f, ok := mqtt.ParseField(t, a[1].Str)
	if !ok {
		return fmt.Errorf("Unknown MQTT field name '%s' for packet type '%s'", a[1].Str, a[0].Str)
	}
	a[0].Int, a[1].Int = int64(t), int64(f)
	return nil
}

func mqttFieldValue(c *Ctx, a []Arg, s *Sample) bool {
	v, st := mqtt.Lookup(s.Bytes, uint8(a[0].Int), mqtt.Field(a[1].Int))
	switch st {
	case mqtt.NeedMore:
		s.MayChange = true
		return false
	case mqtt.Invalid:
		return false
	}
	if v.IsNum {
		start := len(c.buf)
		c.buf = strconv.AppendUint(c.buf, uint64(v.Num), 10)
		s.SetStr(c.take(start))
		return true
	}
	s.SetStr(v.Str)
	return true
}
