package sio

import (
	"testing"

	"github.com/hubkit/hub/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
