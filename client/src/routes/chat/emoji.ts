/** The reaction picker's set; the server accepts any emoji or :short_code:. */
export const EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀', '🔥', '✅', '👏', '🚀', '💯', '🤔', '😅', '👋']
