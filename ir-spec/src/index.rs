//! `getitem` index entries (integers, slices, new axes, ellipsis) normalized against a shape, with NumPy semantics.
