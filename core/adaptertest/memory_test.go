package adaptertest_test

import (
	"testing"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/core/adaptertest"
)

func TestMemoryCluster(t *testing.T) {
	adaptertest.Run(t, func(testing.TB) func() core.Adapter {
		cluster := core.NewMemoryCluster()
		return func() core.Adapter { return cluster.Adapter() }
	})
}
