//! Cameras: conversion of their pixel formats to I420.

mod convert;

pub use convert::{FrameConverter, RawFrame, to_i420};
