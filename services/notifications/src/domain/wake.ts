/** NOTIFY channels are per database, and embedded services share one: the schema names them. */
export function channelsOf(schema: string) {
  return {
    pending: `lattice_notifications_${schema}_pending`,
    published: `lattice_notifications_${schema}_published`,
  };
}
