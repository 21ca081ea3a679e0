// Package stateimpl is the contract between the code stategen generates and
// the statekit runtime, as protobuf-go's protoimpl is for protoc-gen-go: it
// exists for generated code, and changes with the generator API version
// ([MinGenVersion], [MaxGenVersion]), which every generated file checks at
// compile time.
//
// Two parts of it are for users too, because generated stores are made of
// them:
//
//   - [AggregateStore] and [WindowStore] are the typed stores. A generated
//     TStore embeds one, instantiated with the generated TKey and the user's
//     T, so their methods, promoted, are the typed API the README documents:
//     their signatures change only with a major version of statekit.
//   - [Windows] is the untyped window engine under WindowStore, for tests
//     and tools that work on encoded keys.
//
// The rest — [Schema], the CBOR primitives ([CBORReader], the AppendCBOR
// functions), [BufPool], [CorruptValue] and [CorruptKey], [EnforceVersion] —
// is what generated code is made of; call it from hand-written code at your
// own risk.
//
// # Why the stores are generic and the codecs are not
//
// A generated file keeps per type only what is faster per type: the key
// schema, the CBOR codec (msgp's choice: straight-line code, no reflection)
// and the merge. Everything a store does with them — building keys, pooling
// buffers, merging atomically, assigning and firing windows — is written once,
// here, and reached through the [Schema]'s function values. Those take and
// return values, never pointers to the caller's variables: a pointer handed
// to an indirect call escapes to the heap, which costs far more than the
// call.
package stateimpl
