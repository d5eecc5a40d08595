package msgpack_test

import (
	"encoding/hex"
	"errors"
	"math"
	"testing"

	"github.com/hubkit/hub/internal/leakcheck"
	"github.com/hubkit/hub/internal/msgpack"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestAppendFormats: the formats notepack.io writes, at each boundary.
func TestAppendFormats(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		got  []byte
		want string
	}{
		{msgpack.AppendInt(nil, 0), "00"},
		{msgpack.AppendInt(nil, 127), "7f"},
		{msgpack.AppendInt(nil, 128), "cc80"},
		{msgpack.AppendInt(nil, 256), "cd0100"},
		{msgpack.AppendInt(nil, 65536), "ce00010000"},
		{msgpack.AppendInt(nil, 1<<32), "cf0000000100000000"},
		{msgpack.AppendInt(nil, -1), "ff"},
		{msgpack.AppendInt(nil, -32), "e0"},
		{msgpack.AppendInt(nil, -33), "d0df"},
		{msgpack.AppendInt(nil, -129), "d1ff7f"},
		{msgpack.AppendInt(nil, -32769), "d2ffff7fff"},
		{msgpack.AppendInt(nil, math.MinInt64), "d38000000000000000"},
		{msgpack.AppendUint(nil, math.MaxUint64), "cfffffffffffffffff"},
		{msgpack.AppendFloat(nil, 1.5), "cb3ff8000000000000"},
		{msgpack.AppendString(nil, "a"), "a161"},
		{msgpack.AppendStrHeader(nil, 31), "bf"},
		{msgpack.AppendStrHeader(nil, 32), "d920"},
		{msgpack.AppendStrHeader(nil, 256), "da0100"},
		{msgpack.AppendStrHeader(nil, 65536), "db00010000"},
		{msgpack.AppendBin(nil, []byte{1}), "c40101"},
		{msgpack.AppendBin(nil, make([]byte, 256))[:3], "c50100"},
		{msgpack.AppendBin(nil, make([]byte, 65536))[:5], "c600010000"},
		{msgpack.AppendArrayHeader(nil, 15), "9f"},
		{msgpack.AppendArrayHeader(nil, 16), "dc0010"},
		{msgpack.AppendArrayHeader(nil, 65536), "dd00010000"},
		{msgpack.AppendMapHeader(nil, 15), "8f"},
		{msgpack.AppendMapHeader(nil, 16), "de0010"},
		{msgpack.AppendMapHeader(nil, 65536), "df00010000"},
		{msgpack.AppendNil(nil), "c0"},
		{msgpack.AppendBool(msgpack.AppendBool(nil, true), false), "c3c2"},
	} {
		if got := hex.EncodeToString(tt.got); got != tt.want {
			t.Errorf("got %s; want %s", got, tt.want)
		}
	}
}

// TestReader reads one value of each format, and refuses lengths past the input.
func TestReader(t *testing.T) {
	t.Parallel()
	read := func(h string) (msgpack.Value, error) {
		b, _ := hex.DecodeString(h)
		return msgpack.NewReader(b).Next()
	}
	for _, tt := range []struct {
		in   string
		want msgpack.Value
	}{
		{"05", msgpack.Value{Kind: msgpack.Int, Int: 5}},
		{"e0", msgpack.Value{Kind: msgpack.Int, Int: -32}},
		{"d0df", msgpack.Value{Kind: msgpack.Int, Int: -33}},
		{"d1ff7f", msgpack.Value{Kind: msgpack.Int, Int: -129}},
		{"d2ffff7fff", msgpack.Value{Kind: msgpack.Int, Int: -32769}},
		{"d38000000000000000", msgpack.Value{Kind: msgpack.Int, Int: math.MinInt64}},
		{"cc80", msgpack.Value{Kind: msgpack.Uint, Uint: 128}},
		{"cfffffffffffffffff", msgpack.Value{Kind: msgpack.Uint, Uint: math.MaxUint64}},
		{"ca3fc00000", msgpack.Value{Kind: msgpack.Float, Float: 1.5}},
		{"c0", msgpack.Value{Kind: msgpack.Nil}},
		{"c3", msgpack.Value{Kind: msgpack.Bool, Bool: true}},
		{"a26869", msgpack.Value{Kind: msgpack.Str, Bytes: []byte("hi")}},
		{"c40100", msgpack.Value{Kind: msgpack.Bin, Bytes: []byte{0}}},
		{"d40500", msgpack.Value{Kind: msgpack.Ext, Ext: 5, Bytes: []byte{0}, Fixed: true}},
		{"c701ff07", msgpack.Value{Kind: msgpack.Ext, Ext: -1, Bytes: []byte{7}}},
		{"920101", msgpack.Value{Kind: msgpack.Array, Len: 2}},
		{"810101", msgpack.Value{Kind: msgpack.Map, Len: 1}},
	} {
		got, err := read(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got.Kind != tt.want.Kind || got.Int != tt.want.Int || got.Uint != tt.want.Uint || got.Float != tt.want.Float ||
			got.Bool != tt.want.Bool || string(got.Bytes) != string(tt.want.Bytes) || got.Len != tt.want.Len || got.Ext != tt.want.Ext || got.Fixed != tt.want.Fixed {
			t.Errorf("%s: got %+v; want %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "c1", "cc", "cd00", "cb00", "d9", "d905", "dbffffffff", "c6ffffffff", "c9ffffffff00", "dc0002", "dc000201", "ddffffffff", "de0001", "de000101", "dfffffffff", "d4", "d805"} {
		if _, err := read(bad); !errors.Is(err, msgpack.ErrSyntax) {
			t.Errorf("%q: error %v; want one wrapping ErrSyntax", bad, err)
		}
	}
}
