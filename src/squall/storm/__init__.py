"""Talk to a real Apache Storm 2.x cluster: Nimbus Thrift client and topology structs."""
