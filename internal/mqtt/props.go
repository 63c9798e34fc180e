package mqtt

// MQTT 5.0 property identifiers that HAProxy 2.6 reads.
const (
	propPayloadFormat      = 1
	propMessageExpiry      = 2
	propContentType        = 3
	propResponseTopic      = 8
	propCorrelationData    = 9
	propSubscriptionID     = 11
	propSessionExpiry      = 17
	propAssignedClientID   = 18
	propServerKeepAlive    = 19
	propAuthMethod         = 21
	propAuthData           = 22
	propRequestProblem     = 23
	propWillDelay          = 24
	propRequestResponse    = 25
	propResponseInfo       = 26
	propServerReference    = 28
	propReasonString       = 31
	propReceiveMaximum     = 33
	propTopicAliasMaximum  = 34
	propTopicAlias         = 35
	propMaximumQoS         = 36
	propRetainAvailable    = 37
	propUserProperty       = 38
	propMaximumPacketSize  = 39
	propWildcardAvailable  = 40
	propSubIDsAvailable    = 41
	propSharedSubAvailable = 42
	maxProp                = 42
)

// propKind is how a property's value is encoded.
type propKind uint8

const (
	kindNone propKind = iota
	kind1             // one byte
	kind2             // two-byte integer
	kind4             // four-byte integer
	kindStr           // length-prefixed string or binary data
	kindPair          // a user property: two strings
)

type propSpec struct {
	kind propKind
	// nonZero: 0 is invalid; bool: above 1 is invalid; nonEmpty: an
	// empty string is invalid.
	nonZero, bool, nonEmpty bool
}

var propSpecs = [maxProp + 1]propSpec{
	propPayloadFormat:      {kind: kind1, bool: true},
	propMessageExpiry:      {kind: kind4},
	propContentType:        {kind: kindStr},
	propResponseTopic:      {kind: kindStr},
	propCorrelationData:    {kind: kindStr},
	propSessionExpiry:      {kind: kind4},
	propAssignedClientID:   {kind: kindStr, nonEmpty: true},
	propServerKeepAlive:    {kind: kind2},
	propAuthMethod:         {kind: kindStr},
	propAuthData:           {kind: kindStr},
	propRequestProblem:     {kind: kind1, bool: true},
	propWillDelay:          {kind: kind4},
	propRequestResponse:    {kind: kind1, bool: true},
	propResponseInfo:       {kind: kindStr},
	propServerReference:    {kind: kindStr},
	propReasonString:       {kind: kindStr},
	propReceiveMaximum:     {kind: kind2, nonZero: true},
	propTopicAliasMaximum:  {kind: kind2},
	propMaximumQoS:         {kind: kind1, bool: true},
	propRetainAvailable:    {kind: kind1, bool: true},
	propUserProperty:       {kind: kindPair},
	propMaximumPacketSize:  {kind: kind4, nonZero: true},
	propWildcardAvailable:  {kind: kind1, bool: true},
	propSubIDsAvailable:    {kind: kind1, bool: true},
	propSharedSubAvailable: {kind: kind1, bool: true},
}

// propSet is a set of property identifiers.
type propSet uint64

func set(ids ...uint8) propSet {
	var s propSet
	for _, id := range ids {
		s |= 1 << id
	}
	return s
}

func (s propSet) has(id uint8) bool { return id <= maxProp && s&(1<<id) != 0 }

// The properties each place may carry; another is an error (NeedMore in
// a CONNACK, see unknownIsMore).
var (
	connectProps = propContext{ids: set(propSessionExpiry, propReceiveMaximum, propMaximumPacketSize,
		propTopicAliasMaximum, propRequestResponse, propRequestProblem, propUserProperty,
		propAuthMethod, propAuthData)}
	willProps = propContext{ids: set(propWillDelay, propPayloadFormat, propMessageExpiry,
		propContentType, propResponseTopic, propCorrelationData, propUserProperty)}
	connackProps = propContext{ids: set(propSessionExpiry, propReceiveMaximum, propMaximumQoS,
		propRetainAvailable, propMaximumPacketSize, propAssignedClientID, propTopicAliasMaximum,
		propReasonString, propWildcardAvailable, propSubIDsAvailable, propSharedSubAvailable,
		propServerKeepAlive, propResponseInfo, propServerReference, propUserProperty,
		propAuthMethod, propAuthData), unknownIsMore: true}
)

type propContext struct {
	ids propSet
	// unknownIsMore: an unknown property answers NeedMore, as HAProxy
	// 2.6's CONNACK parser does (its "return 0").
	unknownIsMore bool
}

// readProps reads a property block (its varint length, then the
// properties) into ps.
func readProps(r *reader, ps *Properties, ctx propContext) Status {
	n := r.varint()
	if r.bad || uint64(len(r.b)) < uint64(n) {
		return Invalid
	}
	block := reader{b: r.b[:n]}
	r.b = r.b[n:]
	var seen propSet
	for len(block.b) > 0 {
		id := block.byte1()
		if !ctx.ids.has(id) {
			if ctx.unknownIsMore {
				return NeedMore
			}
			return Invalid
		}
		sp := propSpecs[id]
		if sp.kind != kindPair {
			if seen.has(id) {
				return Invalid
			}
			seen |= 1 << id
		}
		switch sp.kind {
		case kind1:
			ps.num[id] = uint32(block.byte1())
		case kind2:
			ps.num[id] = uint32(block.byte2())
		case kind4:
			ps.num[id] = block.byte4()
		case kindStr:
			ps.str[id] = block.str()
			if sp.nonEmpty && len(ps.str[id]) == 0 {
				return Invalid
			}
		case kindPair:
			block.str()
			block.str()
		}
		if block.bad || sp.nonZero && ps.num[id] == 0 || sp.bool && ps.num[id] > 1 {
			return Invalid
		}
	}
	return Valid
}
