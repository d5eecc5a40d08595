// This module holds no Go code: it keeps the go tool out of node_modules.
module github.com/hubkit/hub/js

go 1.26
