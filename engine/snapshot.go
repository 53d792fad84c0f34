package engine

// Snapshot is one immutable unit of what requests are served with: the
// rule table and the global config it was compiled under. The engine holds
// the current one in a single atomic pointer; apireload and reload build a
// whole new one and swap it in, or leave the old one serving. A request
// loads it once (Engine.Snapshot) and keeps it to the end, transport
// included, so decoding, every pipeline stage and encoding see the same
// table and config.
type Snapshot struct {
	Table  *Table
	Config *Config
}
