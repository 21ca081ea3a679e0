package redis

import "strconv"

// numSlots is the number of Redis Cluster hash slots.
const numSlots = 16384

// keySlot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of its hash
// tag (the bytes between the first '{' and the next '}', when not empty) or of
// the whole key, modulo 16384. Redis's own CLUSTER KEYSLOT agrees (tested).
func keySlot(key string) int {
	if s := indexByte(key, '{'); s >= 0 {
		if e := indexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	return int(crc16(key) % numSlots)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial 0), Redis Cluster's hash.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// shardTag returns the hash tag of shard i of n in namespace ns:
// "ns:i:j" for the smallest j that puts it in slot range i of n equal ranges,
// so that the n shards spread evenly over the slot space (and so over the
// masters of a cluster, which own contiguous slot ranges). The tag is a pure
// function of (ns, i, n): every process finds the same one.
func shardTag(ns string, i, n int) string {
	base := ns + ":" + strconv.Itoa(i) + ":"
	for j := 0; ; j++ {
		tag := base + strconv.Itoa(j)
		if int(crc16(tag)%numSlots)*n/numSlots == i {
			return tag
		}
	}
}
