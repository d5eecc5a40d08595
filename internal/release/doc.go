// Package release holds no code: its test checks that hub's modules can be used from outside
// the repository the way RELEASING.md says they are released.
package release
