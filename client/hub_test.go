package client_test

// hubServers returns the hub servers the behaviour tests also run against (none until the
// hub server lands).
func hubServers() []server { return nil }

func stopHubServers() {}
