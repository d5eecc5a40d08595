package socketio_test

import (
	"testing"

	"github.com/hubkit/hub/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
