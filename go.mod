module github.com/hubkit/hub

go 1.25.0

toolchain go1.26.8

require github.com/coder/websocket v1.8.15
