namespace SharpAttention; internal static class Placeholder {}
