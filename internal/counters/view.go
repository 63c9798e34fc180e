package counters

// MaxShards bounds Segment shards: a connection's shard index is taken
// modulo MaxShards, and Blocks repeats a group's regions to fill them.
const MaxShards = 8

// View is what one generation counts into: the segment, the region group
// the master gave it, and the slots of its configuration's objects by
// Key.String(). A nil *View counts nothing.
type View struct {
	Seg   *Segment
	Group int
	Slots map[string]int
}

// Slot returns the slot of k, or -1.
func (v *View) Slot(k Key) int {
	if v == nil || v.Seg == nil {
		return -1
	}
	if i, ok := v.Slots[k.String()]; ok && i >= 0 && i < v.Seg.slots {
		return i
	}
	return -1
}

// Blocks returns the counter blocks of slot in this generation's group;
// a slot of -1 gives blocks that count nothing.
func (v *View) Blocks(slot int) Blocks {
	var b Blocks
	if v == nil || v.Seg == nil || slot < 0 {
		return b
	}
	n := v.Seg.shards
	for i := range b.b {
		b.b[i] = v.Seg.Block(slot, v.Group*n+i%n)
	}
	return b
}

// Blocks are one slot's counter blocks in a generation's group, one per
// shard (repeated up to MaxShards).
type Blocks struct{ b [MaxShards]Block }

// Shard returns the block of shard i (any int: it is taken modulo
// MaxShards).
func (b *Blocks) Shard(i uint8) Block { return b.b[i%MaxShards] }

// Gen returns the generation's first block: gauges, rates and maxima go
// there, so that they cover the whole generation.
func (b *Blocks) Gen() Block { return b.b[0] }
