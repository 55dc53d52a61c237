/** An in-memory store: a stable module, so its data lives as long as the process. */
export interface User {
  id: number;
  name: string;
}

const users = new Map<number, User>([[1, { id: 1, name: "Ada" }]]);
let nextId = 2;

export const store = {
  all: () => [...users.values()],
  get: (id: number) => users.get(id),
  add(name: string): User {
    const user = { id: nextId++, name };
    users.set(user.id, user);
    return user;
  },
};
