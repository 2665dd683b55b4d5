//! The targets' inputs are a few fixed fields, then length-prefixed texts, then the rest: a
//! format `fuzz/seeds.py` writes seeds in and libFuzzer's mutations keep mostly valid. A short
//! input reads as zeros and empty texts, so every input is usable.

pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data }
    }

    pub fn bytes(&mut self, len: usize) -> &'a [u8] {
        let (taken, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        taken
    }

    pub fn u8(&mut self) -> u8 {
        self.bytes(1).first().copied().unwrap_or(0)
    }

    pub fn u16(&mut self) -> u16 {
        let mut buffer = [0; 2];
        let bytes = self.bytes(2);
        buffer[..bytes.len()].copy_from_slice(bytes);
        u16::from_le_bytes(buffer)
    }

    pub fn u32(&mut self) -> u32 {
        let mut buffer = [0; 4];
        let bytes = self.bytes(4);
        buffer[..bytes.len()].copy_from_slice(bytes);
        u32::from_le_bytes(buffer)
    }

    /// A text with a one-byte length before it.
    pub fn short(&mut self) -> &'a [u8] {
        let len = self.u8();
        self.bytes(len.into())
    }

    /// A text with a two-byte length before it.
    pub fn long(&mut self) -> &'a [u8] {
        let len = self.u16();
        self.bytes(len.into())
    }

    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}
