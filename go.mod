module github.com/hubkit/hub

go 1.26.8
